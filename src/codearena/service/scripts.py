"""The queue's state changes, each one atomic in Redis (a Lua script), shared by service and workers.

A job is a hash (`job:ID`: state, the job's JSON, stream, entry, times, attempts, worker, and
what its submitter asked: `retention`, `announce`, `meta`) and one entry in a priority stream
(`jobs:interactive` | `jobs:bulk`) carrying its id. Streams hold only unfinished jobs (entries
are deleted when a job ends), so XLEN is the backlog.
"""

# KEYS: interactive stream, bulk stream, job hash, target stream, live workers, tombstone
# ARGV: max backlog, job id, queued ttl, now (or '' when no live worker is required), then
#       field/value pairs for the job hash
# -> {1, backlog} queued; {0, backlog} backlog full; {-1, 0} a job of that id exists;
#    {-2, 0} no live worker; {-3, 0} the job was cancelled before it arrived (tombstone)
SUBMIT = """
if redis.call('EXISTS', KEYS[3]) == 1 then return {-1, 0} end
if redis.call('EXISTS', KEYS[6]) == 1 then return {-3, 0} end
local backlog = redis.call('XLEN', KEYS[1]) + redis.call('XLEN', KEYS[2])
if backlog >= tonumber(ARGV[1]) then return {0, backlog} end
if ARGV[4] ~= '' and redis.call('ZCOUNT', KEYS[5], ARGV[4], '+inf') == 0 then return {-2, 0} end
local entry = redis.call('XADD', KEYS[4], '*', 'job', ARGV[2])
redis.call('HSET', KEYS[3], 'state', 'queued', 'stream', KEYS[4], 'entry', entry, 'attempts', 0)
for i = 5, #ARGV, 2 do redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1]) end
redis.call('EXPIRE', KEYS[3], ARGV[3])
return {1, backlog + 1}
"""

# start_job(job hash, running index, job id, worker name, now, reclaim margin)
# -> {outcome, job json, attempts, created_at, stop_requested}: outcome 'run' (go ahead), or the state that
# forbids running it.
# A running job is indexed by the moment it is overdue (now + its budget + the margin): see OVERDUE.
START_JOB = """
local function start_job(key, running, id, worker, now, margin)
  local state = redis.call('HGET', key, 'state')
  if not state then return {'missing', false} end
  if state == 'cancelled' or state == 'done' then return {state, false} end
  redis.call('HSET', key, 'state', 'running', 'worker', worker, 'started_at', now)
  local budget = tonumber(redis.call('HGET', key, 'budget') or '0')
  redis.call('ZADD', running, tonumber(now) + budget + tonumber(margin), id)
  local attempts = redis.call('HINCRBY', key, 'attempts', 1)
  return {'run', redis.call('HGET', key, 'request'), attempts, redis.call('HGET', key, 'created_at'),
          redis.call('HGET', key, 'stop_requested')}
end
"""

# KEYS: job hash, running index.  ARGV: worker name, now, reclaim margin, job id.  -> start_job's answer.
START = START_JOB + """
return start_job(KEYS[1], KEYS[2], ARGV[4], ARGV[1], ARGV[2], ARGV[3])
"""

# take(streams, running index, group, consumer, now, reclaim margin, job hash prefix): the next new entry
# (interactive before bulk; an entry of the second stream only when the
# first has none) whose job may run, read and started in one step; entries of
# jobs that must not run (cancelled, done, gone) are acked and deleted on the way.
# -> {stream, entry, job id, job json, attempts, created_at, stop_requested}; false: none;
# {'error', message}: the read failed (a stream or its group is missing).
# The job hash is named inside the script (the prefix and the id its entry carries), not in
# KEYS: a single Redis, which the queue runs on, allows it; a Redis Cluster would need every key
# of a prefix in one hash slot (a hash tag in QUEUE_PREFIX).
TAKE_JOB = START_JOB + """
local function take(streams, running, group, consumer, now, margin, prefix)
  for _, stream in ipairs(streams) do
    while true do
      local got = redis.pcall('XREADGROUP', 'GROUP', group, consumer, 'COUNT', 1, 'STREAMS', stream, '>')
      if type(got) == 'table' and got.err then return {'error', got.err} end
      if not got then break end
      local entry_id, fields, id = got[1][2][1][1], got[1][2][1][2], nil
      for i = 1, #fields, 2 do if fields[i] == 'job' then id = fields[i + 1] end end
      if id then
        local started = start_job(prefix .. id, running, id, consumer, now, margin)
        if started[1] == 'run' then
          return {stream, entry_id, id, started[2], started[3], started[4], started[5]}
        end
      end
      redis.call('XACK', stream, group, entry_id)
      redis.call('XDEL', stream, entry_id)
    end
  end
  return false
end
"""

# KEYS: running index, then the streams in the order they are served.
# ARGV: group, consumer, now, reclaim margin, job hash prefix.  -> take's answer.
TAKE = TAKE_JOB + """
return take({unpack(KEYS, 2)}, KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5])
"""

# A finished job's record as JSON (protocol.JobRecord), built from its hash as ServiceStore.read
# would read it: strings through cjson, numbers as stored (their JSON reads as the same float),
# the result's JSON as given.
RECORD = """
local function record(key, id, result)
  local f = redis.call('HMGET', key, 'kind', 'state', 'priority', 'language', 'attempts', 'worker', 'created_at',
                       'started_at', 'finished_at')
  local function text(value, default) return cjson.encode(value or default) end
  local function number(value) return value or 'null' end
  return '{"id":' .. cjson.encode(id) .. ',"kind":' .. text(f[1], 'run') .. ',"state":' .. text(f[2], 'done') ..
    ',"priority":' .. text(f[3], '') .. ',"language":' .. text(f[4], '') .. ',"attempts":' .. (f[5] or '0') ..
    ',"worker":' .. (f[6] and cjson.encode(f[6]) or 'null') .. ',"created_at":' .. (f[7] or '0') ..
    ',"started_at":' .. number(f[8]) .. ',"finished_at":' .. number(f[9]) .. ',"result":' .. result .. '}'
end
"""

# KEYS: job hash, result key, stream, announcements stream, running index
# ARGV: result json, ttl, entry id, group, now, outcome, done channel, job id, inline limit
# The first result stored wins (SET NX): a duplicate delivery can never produce a second answer.
# A job may be kept longer than `ttl` (hash field `retention`, seconds), and one that asked to be
# announced (`announce`) gets its id added to the announcements stream, which its submitter reads.
# The done message carries the job's record (see RECORD) when its result is at most `inline
# limit` bytes, so a waiter answers without reading it back; else the id alone.
COMPLETE_JOB = RECORD + """
local function complete()
  local ttl = tonumber(redis.call('HGET', KEYS[1], 'retention') or ARGV[2])
  local stored = redis.call('SET', KEYS[2], ARGV[1], 'NX', 'EX', ttl)
  redis.call('XACK', KEYS[3], ARGV[4], ARGV[3])
  redis.call('XDEL', KEYS[3], ARGV[3])
  if not stored then
    redis.call('HINCRBY', KEYS[1], 'duplicate_results', 1)
    return 0
  end
  redis.call('HSET', KEYS[1], 'state', 'done', 'finished_at', ARGV[5], 'outcome', ARGV[6])
  redis.call('EXPIRE', KEYS[1], ttl)
  redis.call('ZREM', KEYS[5], ARGV[8])
  -- A finished job keeps its result, not its request (its source and tests), unless it asked to.
  if redis.call('HEXISTS', KEYS[1], 'keep_request') == 0 then redis.call('HDEL', KEYS[1], 'request') end
  if redis.call('HEXISTS', KEYS[1], 'announce') == 1 then
    redis.call('XADD', KEYS[4], 'MAXLEN', '~', 100000, '*', 'job', ARGV[8])
  end
  if #ARGV[1] <= tonumber(ARGV[9]) then
    redis.call('PUBLISH', ARGV[7], ARGV[8] .. ' ' .. record(KEYS[1], ARGV[8], ARGV[1]))
  else
    redis.call('PUBLISH', ARGV[7], ARGV[8])
  end
  return 1
end
"""
COMPLETE = COMPLETE_JOB + """
return complete()
"""

# COMPLETE, then TAKE for the same worker in the same round trip (a slot that goes on serving).
# KEYS: COMPLETE's, then the streams in the order they are served.
# ARGV: COMPLETE's, then consumer, reclaim margin, job hash prefix.  -> {COMPLETE's answer, take's}
COMPLETE_THEN_TAKE = COMPLETE_JOB + TAKE_JOB + """
local stored = complete()
return {stored, take({unpack(KEYS, 6)}, KEYS[5], ARGV[4], ARGV[10], ARGV[5], ARGV[11], ARGV[12])}
"""

# KEYS: job hash, tombstone.  ARGV: group, now, ttl, done channel, job id, stop channel, '1' to cancel
# only a queued job (a running one is left running: 'running').
# A queued job is cancelled and removed from its stream at once; a running one is asked to stop.
# An unknown id leaves a tombstone: a submission of that id arriving later is refused, so a client
# that gave up before its submission arrived never has the job run for nobody.
CANCEL = """
local state = redis.call('HGET', KEYS[1], 'state')
if not state then
  redis.call('SET', KEYS[2], '1', 'EX', ARGV[3])
  return 'missing'
end
if state == 'running' and ARGV[7] == '1' then return 'running' end
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
redis.call('PUBLISH', ARGV[4], ARGV[5])
return 'cancelled'
"""

# KEYS: job hash, result key, running index, announcements stream
# ARGV: result json, ttl, now, done channel, job id
# A running job whose worker stored nothing by its deadline and whose stream entry nobody holds
# any more (the stream was lost, say): it ends IE with the reason, never stays running.
OVERDUE = """
if redis.call('HGET', KEYS[1], 'state') ~= 'running' then
  redis.call('ZREM', KEYS[3], ARGV[5])
  return 0
end
local ttl = tonumber(redis.call('HGET', KEYS[1], 'retention') or ARGV[2])
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'EX', ttl) then
  redis.call('HSET', KEYS[1], 'state', 'done', 'finished_at', ARGV[3], 'outcome', 'IE')
  redis.call('EXPIRE', KEYS[1], ttl)
  if redis.call('HEXISTS', KEYS[1], 'keep_request') == 0 then redis.call('HDEL', KEYS[1], 'request') end
  if redis.call('HEXISTS', KEYS[1], 'announce') == 1 then
    redis.call('XADD', KEYS[4], 'MAXLEN', '~', 100000, '*', 'job', ARGV[5])
  end
  redis.call('PUBLISH', ARGV[4], ARGV[5])
end
redis.call('ZREM', KEYS[3], ARGV[5])
return 1
"""
