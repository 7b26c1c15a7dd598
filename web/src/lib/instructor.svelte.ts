// "Modo instrutor": the instructor bar (reset, traffic generator, glossary) shown under the header.
// A choice of this browser, kept in localStorage, until JWT roles say who is an instructor.

const KEY = 'vitrine.instructor'

export const instructor = $state({ on: typeof localStorage !== 'undefined' && localStorage.getItem(KEY) === '1' })

export function toggleInstructor (): void {
  instructor.on = !instructor.on
  localStorage.setItem(KEY, instructor.on ? '1' : '0')
}
