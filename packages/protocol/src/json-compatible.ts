import type { Json } from './frames'

type JsonPrimitive = string | number | boolean | null
// biome-ignore lint/suspicious/noExplicitAny: matches every function, whatever its parameters
type AnyFunction = (...args: any[]) => unknown

/**
 * `T` with every part that would not survive `JSON.stringify` as itself replaced by `never`,
 * for use as a self-check: `<T extends JsonCompatible<T>>` accepts exactly the types whose
 * values reach the other side as the same shape.
 *
 * Why not `Json`: `Json` objects have an index signature, and TypeScript gives interfaces none,
 * so `interface Todo { id: string }` is not a `Json` although every `Todo` is JSON. This check
 * walks the type's own properties instead, so interfaces and type aliases pass alike.
 *
 * It accepts strings, numbers, booleans, null, arrays and tuples of accepted types, and
 * objects (interfaces, type aliases, class instances without methods) whose string-keyed
 * properties are accepted; `undefined` is accepted where JSON leaves it out (an optional or
 * undefined property). It rejects values with a `toJSON` method (a `Date` arrives as a string),
 * functions and methods (so `Map`, `Set` and other class instances with methods), `symbol`,
 * symbol-keyed properties and `bigint` (which `JSON.stringify` throws on). It cannot see runtime values: `NaN` and `Infinity` are numbers here and `null` in JSON.
 */
export type JsonCompatible<T> = 0 extends 1 & T
  ? T // any: nothing to check
  : T extends Json | undefined
    ? T
    : T extends JsonPrimitive | undefined
      ? T
      : T extends bigint | symbol | AnyFunction | { toJSON(): unknown }
        ? never // toJSON: a Date (or the like) arrives as something else than itself
        : T extends readonly unknown[]
          ? { [I in keyof T]: JsonCompatible<T[I]> }
          : T extends object
            ? { [K in keyof T]: K extends symbol ? never : JsonCompatible<T[K]> }
            : never

/**
 * The type a value of type `T` has after a JSON round trip, as a procedure's result reaches
 * the client: `toJSON()` is applied (a `Date` becomes a string), function, symbol and
 * undefined properties disappear, and in arrays such values become null.
 */
export type Jsonified<T> = 0 extends 1 & T
  ? T
  : T extends JsonPrimitive
    ? T
    : T extends { toJSON(): infer J }
      ? Jsonified<J>
      : T extends undefined | symbol | AnyFunction | bigint
        ? never
        : T extends readonly unknown[]
          ? JsonifiedArray<T>
          : T extends object
            ? {
                [K in keyof T as K extends symbol
                  ? never
                  : T[K] extends undefined | symbol | AnyFunction
                    ? never
                    : K]: Jsonified<T[K]>
              }
            : never

type JsonifiedArray<T extends readonly unknown[]> = { -readonly [I in keyof T]: JsonifiedItem<T[I]> }

// Distributes over a union, so `Date | undefined` items become `string | null`.
type JsonifiedItem<T> = T extends undefined | symbol | AnyFunction ? null : Jsonified<T>

/**
 * A parameter type taking any `Json` value, or a `T` that passes {@link JsonCompatible} (an
 * interface, say): `data?: JsonInput<T>` with `T` inferred from the argument. Why `Json |`
 * first: inferring `T` from a value typed `Json` through `T & JsonCompatible<T> | undefined`
 * picks the wrong members of the union and refuses valid JSON; listed on its own, `Json` takes
 * such a value whole.
 */
export type JsonInput<T> = Json | (T & JsonCompatible<T>)
