import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseJavaVersion } from '../../../src/bench/machine.ts'

test('java -version: vendor and version', () => {
  assert.equal(parseJavaVersion('openjdk version "17.0.15" 2025-04-15\nOpenJDK Runtime Environment (build 17.0.15+6-Debian-1deb12u1)\n'), 'openjdk 17.0.15')
  assert.equal(parseJavaVersion('bash: java: command not found'), 'unknown')
})
