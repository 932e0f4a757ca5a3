import { createHash } from 'node:crypto'

/** A Lua script and its SHA1, for EVALSHA with a fallback to EVAL after a Redis restart. */
export interface LuaScript {
  readonly name: string
  readonly source: string
  readonly sha: string
}

function script(name: string, source: string): LuaScript {
  return { name, source, sha: createHash('sha1').update(source).digest('hex') }
}

/** The same script with another source (the cluster's sharded-pub/sub variant), under its own SHA. */
export function withSource(original: LuaScript, source: string): LuaScript {
  return script(original.name, source)
}

/**
 * The epoch check every log script starts with. KEYS[1] meta, KEYS[2] log; ARGV[1] the Redis
 * run_id this node is connected to (empty on a cluster: the script asks INFO of the master that
 * runs it, about 6 µs, since each master has its own), ARGV[2] '1' when a restart is trusted to lose nothing (AOF
 * with appendfsync always), ARGV[3] a fresh epoch to use if one is needed, ARGV[4] and ARGV[5]
 * the newest position this node has seen of the topic, ARGV[6] the age cutoff (ms since the
 * Unix epoch; events older are evicted), ARGV[7] the keys' idle TTL in ms (0: none).
 *
 * The log gets a new epoch (and starts empty) when it cannot be vouched for:
 * - no meta: a new topic, or Redis lost it (restart without persistence, eviction, flush);
 * - another run_id, unless restarts are trusted: Redis restarted or failed over since the log
 *   was last written, and what it kept may be older than what clients saw;
 * - a head behind what this node has already seen under the same epoch: an old RDB restored or
 *   a replica promoted that missed writes.
 * Reusing the epoch in any of these cases would replay different events under seqs that
 * clients already hold; a new epoch makes them resync instead.
 */
const PRELUDE = `
local runid = ARGV[1]
if runid == '' then runid = string.match(redis.call('INFO', 'server'), 'run_id:(%x+)') end
local meta = redis.call('HMGET', KEYS[1], 'epoch', 'head', 'run')
local epoch, head, run = meta[1], tonumber(meta[2] or '0'), meta[3]
local fresh = false
if not epoch then
  fresh = true
elseif run ~= runid then
  if ARGV[2] == '1' then redis.call('HSET', KEYS[1], 'run', runid) else fresh = true end
end
if not fresh and epoch == ARGV[4] and head < tonumber(ARGV[5]) then fresh = true end
if fresh then
  epoch = ARGV[3]
  head = 0
  redis.call('DEL', KEYS[2])
  redis.call('HSET', KEYS[1], 'epoch', epoch, 'head', 0, 'run', runid)
end
if ARGV[7] ~= '0' then redis.call('PEXPIRE', KEYS[1], ARGV[7]) end
-- Age eviction, bounded per call: the oldest entries first, while they are past the cutoff.
local cutoff = tonumber(ARGV[6])
for _ = 1, 100 do
  local first = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 1)[1]
  if not first or tonumber(first[2][2]) >= cutoff then break end
  redis.call('XDEL', KEYS[2], first[1])
end
`

/**
 * One publish, atomically: epoch check, dedup, hold, next seq, log entry, bus message.
 * KEYS[3] hold, KEYS[4] this node's held marker, KEYS[5] the dedup key (KEYS[1] when none);
 * ARGV[8] body, ARGV[9] ts, ARGV[10] max events, ARGV[11] dedup TTL in ms ('0': no dedup),
 * ARGV[12] channel, ARGV[13] '1' to clear the held marker (the oldest held append, retried),
 * ARGV[14] the held marker's TTL.
 * Returns {'ok', epoch, seq} | {'dup', 'epoch:seq'} | {'held'}.
 */
export const APPEND = script(
  'append',
  `${PRELUDE}
if ARGV[11] ~= '0' then
  local known = redis.call('GET', KEYS[5])
  if known then return {'dup', known} end
end
if ARGV[13] == '1' then redis.call('DEL', KEYS[4]) end
-- Once one append of this node was held, its later ones are too until it retries them in
-- order: an append sent after a held one must not land before it.
if redis.call('EXISTS', KEYS[3], KEYS[4]) > 0 then
  redis.call('SET', KEYS[4], '1', 'PX', ARGV[14])
  return {'held'}
end
head = head + 1
redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[10], head .. '-0', 'ts', ARGV[9], 'e', ARGV[8])
redis.call('HSET', KEYS[1], 'head', head)
if ARGV[7] ~= '0' then redis.call('PEXPIRE', KEYS[2], ARGV[7]) end
if ARGV[11] ~= '0' then redis.call('SET', KEYS[5], epoch .. ':' .. head, 'PX', ARGV[11]) end
redis.call('PUBLISH', ARGV[12], 'e' .. epoch .. '\\n' .. head .. '\\n' .. ARGV[8])
return {'ok', epoch, head}
`,
)

/**
 * One page of the log after a position. ARGV[8] the reader's epoch, ARGV[9] its seq, ARGV[10]
 * the page size. Returns {'ok', epoch, head, entries} or {reason, epoch, head}.
 */
export const READ = script(
  'read',
  `${PRELUDE}
if ARGV[8] ~= epoch then return {'epoch_changed', epoch, head} end
local after = tonumber(ARGV[9])
if after > head then return {'ahead', epoch, head} end
local first = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 1)[1]
local oldest = head + 1
if first then oldest = tonumber(string.match(first[1], '^(%d+)')) end
if after < oldest - 1 then return {'too_old', epoch, head} end
return {'ok', epoch, head, redis.call('XRANGE', KEYS[2], (after + 1) .. '-0', '+', 'COUNT', ARGV[10])}
`,
)

/** The topic's epoch and head, after the epoch check. Returns {epoch, head}. */
export const HEAD = script('head', `${PRELUDE}\nreturn {epoch, head}\n`)

/** A snapshot hold: KEYS[1] the hold counter, ARGV[1] its lease in ms (a crashed holder's hold ends with it). */
export const HOLD = script(
  'hold',
  `local n = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return n
`,
)

export const RELEASE = script(
  'release',
  `if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local n = redis.call('DECR', KEYS[1])
if n <= 0 then redis.call('DEL', KEYS[1]) end
return n
`,
)

/** Joins or updates a member. KEYS[1] presence hash; ARGV[1] connection id, ARGV[2] stored JSON, ARGV[3] channel. */
export const PRESENCE_SET = script(
  'presence-set',
  `local action = 'join'
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then action = 'update' end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('PUBLISH', ARGV[3], 'p' .. action .. '\\n' .. ARGV[2])
return action
`,
)

/** Removes a member; the leave goes out only if it was there. KEYS[1] presence hash; ARGV[1] connection id, ARGV[2] channel. */
export const PRESENCE_REMOVE = script(
  'presence-remove',
  `local stored = redis.call('HGET', KEYS[1], ARGV[1])
if not stored then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('PUBLISH', ARGV[2], 'pleave\\n' .. stored)
return 1
`,
)

/**
 * Removes the members a node holds on a topic, except the connection ids listed: with none
 * listed, a dead node's members (run by any survivor; the HDEL makes each leave go out once
 * however many survivors sweep); with the node's live connections listed, the members it lost
 * track of while Redis was unreachable. KEYS[1] presence hash; ARGV[1] node, ARGV[2] channel,
 * ARGV[3..] connection ids to keep. Returns how many left.
 */
export const PRESENCE_SWEEP = script(
  'presence-sweep',
  `local keep = {}
for i = 3, #ARGV do keep[ARGV[i]] = true end
local all = redis.call('HGETALL', KEYS[1])
local left = 0
for i = 1, #all, 2 do
  local id, stored = all[i], all[i + 1]
  if not keep[id] and cjson.decode(stored).node == ARGV[1] then
    redis.call('HDEL', KEYS[1], id)
    redis.call('PUBLISH', ARGV[2], 'pleave\\n' .. stored)
    left = left + 1
  end
end
return left
`,
)

/**
 * Renews a node's lease in Redis time (node clocks may disagree) and lists the nodes whose
 * lease ran out. KEYS[1] the nodes sorted set; ARGV[1] node, ARGV[2] lease in ms.
 * Returns {1 if the node was missing (it had been swept as dead), dead node ids...}.
 */
export const NODE_BEAT = script(
  'node-beat',
  `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local added = redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
local out = {added}
for _, node in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, 100)) do
  table.insert(out, node)
end
return out
`,
)

/**
 * One token bucket take, atomically. KEYS[1] the bucket (a hash: `tokens`, `at`); ARGV[1] tokens
 * per second, ARGV[2] the burst, ARGV[3] the cost. Time is Redis's (TIME), not the node's: nodes'
 * clocks may disagree, and one bucket must refill at one pace whichever node asks. A missing
 * bucket is full; a take writes the bucket back with a TTL of the time it needs to be full again
 * (after which it is the same as missing); a refusal writes nothing. Returns {1, 0} or
 * {0, ms until the cost is there}.
 */
export const RATE_LIMIT = script(
  'rate-limit',
  `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local rate = tonumber(ARGV[1]) / 1000
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens, at = tonumber(state[1]), tonumber(state[2])
if not tokens or not at then
  tokens, at = burst, now
elseif now > at then
  tokens = math.min(burst, tokens + (now - at) * rate)
  at = now
end
-- Sub-millionth token differences are floating point noise, not tokens.
if tokens >= cost - 1e-6 then
  tokens = math.max(0, tokens - cost)
  redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'at', string.format('%.17g', at))
  redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate) + 1)
  return {1, 0}
end
return {0, math.max(1, math.ceil((cost - tokens) / rate - 1e-6))}
`,
)
