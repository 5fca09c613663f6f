"""The queue's state changes, each one atomic in Redis (a Lua script), shared by service and workers.

A job is a hash (`job:ID`: state, request, stream, entry, times, attempts, worker) and one entry
in a priority stream (`jobs:interactive` | `jobs:bulk`) carrying its id. Streams hold only
unfinished jobs (entries are deleted when a job ends), so XLEN is the backlog.
"""

# KEYS: interactive stream, bulk stream, job hash, target stream
# ARGV: max backlog, job id, queued ttl, then field/value pairs for the job hash
# -> {1, backlog} queued; {0, backlog} backlog full; {-1, 0} a job of that id exists
SUBMIT = """
if redis.call('EXISTS', KEYS[3]) == 1 then return {-1, 0} end
local backlog = redis.call('XLEN', KEYS[1]) + redis.call('XLEN', KEYS[2])
if backlog >= tonumber(ARGV[1]) then return {0, backlog} end
local entry = redis.call('XADD', KEYS[4], '*', 'job', ARGV[2])
redis.call('HSET', KEYS[3], 'state', 'queued', 'stream', KEYS[4], 'entry', entry, 'attempts', 0)
for i = 4, #ARGV, 2 do redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1]) end
redis.call('EXPIRE', KEYS[3], ARGV[3])
return {1, backlog + 1}
"""

# KEYS: job hash.  ARGV: worker name, now.
# -> {outcome, request}: outcome 'run' (go ahead), or the state that forbids running it.
START = """
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {'missing', false} end
if state == 'cancelled' or state == 'done' then return {state, false} end
redis.call('HSET', KEYS[1], 'state', 'running', 'worker', ARGV[1], 'started_at', ARGV[2])
local attempts = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
return {'run', redis.call('HGET', KEYS[1], 'request'), attempts, redis.call('HGET', KEYS[1], 'created_at')}
"""

# KEYS: job hash, result key, stream, metrics hash, callbacks stream
# ARGV: result json, ttl, entry id, group, now, outcome, done channel, job id, then (metric field, amount) pairs
# The first result stored wins (SET NX): a duplicate delivery can never produce a second answer.
# A job may keep itself longer than `ttl` (hash field `keep`, seconds: Judge0 submissions), and one
# with a `callback` field is announced on the callbacks stream, for exactly one service to deliver.
COMPLETE = """
local ttl = tonumber(redis.call('HGET', KEYS[1], 'keep') or ARGV[2])
local stored = redis.call('SET', KEYS[2], ARGV[1], 'NX', 'EX', ttl)
redis.call('XACK', KEYS[3], ARGV[4], ARGV[3])
redis.call('XDEL', KEYS[3], ARGV[3])
if not stored then
  redis.call('HINCRBY', KEYS[1], 'duplicate_results', 1)
  return 0
end
redis.call('HSET', KEYS[1], 'state', 'done', 'finished_at', ARGV[5], 'outcome', ARGV[6])
redis.call('EXPIRE', KEYS[1], ttl)
for i = 9, #ARGV, 2 do redis.call('HINCRBYFLOAT', KEYS[4], ARGV[i], ARGV[i + 1]) end
if redis.call('HEXISTS', KEYS[1], 'callback') == 1 then
  redis.call('XADD', KEYS[5], 'MAXLEN', '~', 100000, '*', 'job', ARGV[8])
end
redis.call('PUBLISH', ARGV[7], ARGV[8])
return 1
"""

# KEYS: job hash, metrics hash.  ARGV: group, now, ttl, done channel, job id.
# Only a job nobody has started can be cancelled; it is removed from its stream at once.
CANCEL = """
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return 'missing' end
if state == 'running' then
  redis.call('HSET', KEYS[1], 'stop_requested', '1')
  redis.call('PUBLISH', ARGV[6], ARGV[5])
  return 'stopping'
end
if state ~= 'queued' then return state end
local stream = redis.call('HGET', KEYS[1], 'stream')
local entry = redis.call('HGET', KEYS[1], 'entry')
redis.call('HSET', KEYS[1], 'state', 'cancelled', 'finished_at', ARGV[2], 'outcome', 'cancelled')
redis.call('XACK', stream, ARGV[1], entry)
redis.call('XDEL', stream, entry)
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('HINCRBYFLOAT', KEYS[2], 'jobs_total:cancelled', 1)
redis.call('PUBLISH', ARGV[4], ARGV[5])
return 'cancelled'
"""
