// Lists of a union's values for runtime use (JSON Schemas, validation), held
// to the union by the compiler, so an enum is written once as a type and
// once as its list, and the two cannot drift apart.

/**
 * `allOf<Union>()([...])` compiles only when the list holds every member of
 * `Union` and nothing else; the error names what is missing.
 */
export const allOf =
  <U extends string>() =>
  <const T extends readonly U[]>(values: T & ([Exclude<U, T[number]>] extends [never] ? unknown : { missing: Exclude<U, T[number]> })): T =>
    values;
