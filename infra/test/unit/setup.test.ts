import assert from 'node:assert/strict'
import { accessSync, constants, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { MAVEN_WRAPPER, mavenCommand } from '../../src/setup.ts'

test('Maven: $MVN first, then an installed mvn, else the wrapper in infra/', () => {
  assert.equal(mavenCommand({ MVN: '/opt/maven/bin/mvn' }, true), '/opt/maven/bin/mvn')
  assert.equal(mavenCommand({}, true), 'mvn')
  assert.equal(mavenCommand({}, false), MAVEN_WRAPPER)
})

test('the Maven Wrapper is in the repository, executable, and pins a Maven from Maven Central', () => {
  assert.doesNotThrow(() => accessSync(MAVEN_WRAPPER, constants.X_OK), `${MAVEN_WRAPPER} is missing or not executable`)
  // The script reads its properties next to itself, so it works from any working directory.
  assert.match(readFileSync(MAVEN_WRAPPER, 'utf8'), /\$scriptDir\/\.mvn\/wrapper\/maven-wrapper\.properties/)
  const props = readFileSync(join(MAVEN_WRAPPER, '..', '.mvn', 'wrapper', 'maven-wrapper.properties'), 'utf8')
  assert.match(props, /^distributionUrl=https:\/\/repo\.maven\.apache\.org\/maven2\/org\/apache\/maven\/apache-maven\/3\.9\.\d+\/apache-maven-3\.9\.\d+-bin\.zip$/m)
  assert.match(props, /^distributionType=only-script$/m)
})
