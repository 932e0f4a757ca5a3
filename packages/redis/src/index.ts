export { createRedisEngine, type RedisEngine, type RedisEngineOptions } from './redis-engine'
