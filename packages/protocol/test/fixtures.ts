import { readFileSync } from 'node:fs'
import type { ClientDecodeOptions, DecodeResult, Filter, JsonObject, Position, ProtocolError } from '../src'

/**
 * Typed readers for the conformance fixtures in ../fixtures. The JSON files are the shared
 * contract (other packages import them as `@sluice/protocol/fixtures/<name>.json`); these types
 * only describe their shape for this package's tests.
 */
export function loadFixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8')) as T
}

/** The part of a ProtocolError a fixture pins down: absent `field`/`id` mean undefined. */
export interface ExpectedError {
  code: string
  field?: string
  id?: string
}

export interface FramesFixture {
  description: string
  cases: Array<{ name: string; text: string; options?: ClientDecodeOptions; frames: unknown[] }>
}

export interface InvalidFramesFixture {
  description: string
  cases: Array<{
    name: string
    text: string
    options?: ClientDecodeOptions
    level: 'message' | 'frame'
    error: ExpectedError
  }>
  batches: Array<{
    name: string
    text: string
    results: Array<{ frame: unknown } | { error: ExpectedError }>
  }>
}

export interface FiltersFixture {
  description: string
  matches: Array<{ name: string; filter: Filter; meta?: JsonObject; matches: boolean }>
  invalid: Array<{ name: string; filter: unknown; error: ExpectedError & { field: string } }>
}

export interface PositionsFixture {
  description: string
  parse: Array<{ text: string; position: Position | null }>
  format: Array<{ position: Position; text: string }>
  compare: Array<{ a: Position; b: Position; order: -1 | 0 | 1 | null }>
}

export interface SseFixture {
  description: string
  frames: Array<{ name: string; frame: unknown; id?: string; retry?: number; text: string }>
  fields: Array<{
    name: string
    fields: { event?: string; id?: string; data: string; retry?: number }
    text: string
  }>
  comments: Array<{ comment: string; text: string }>
  cursors: Array<{ name: string; positions: Array<[string, Position]>; cursor: string }>
  lastEventIds: Array<{
    name: string
    header: string
    topics: string[]
    positions: Record<string, Position> | null
  }>
}

export interface SubscriptionsParamFixture {
  description: string
  valid: Array<{ name: string; subscriptions?: unknown[]; param: string; decoded: unknown[] }>
  invalid: Array<{
    name: string
    param: string
    options?: { maxSubscriptions?: number; maxTopicLength?: number }
    error: ExpectedError
  }>
}

export interface PublishRequestsFixture {
  description: string
  valid: Array<{ name: string; body: unknown; request: unknown }>
  invalid: Array<{ name: string; body: unknown; error: ExpectedError }>
}

/** The comparable part of a failed decode. */
export function errorOf(result: DecodeResult<unknown>): ExpectedError | 'ok' {
  if (result.ok) return 'ok'
  return pick(result.error)
}

export function pick(error: ProtocolError): ExpectedError {
  const out: ExpectedError = { code: error.code }
  if (error.field !== undefined) out.field = error.field
  if (error.id !== undefined) out.id = error.id
  return out
}
