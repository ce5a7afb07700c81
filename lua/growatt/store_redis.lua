--- the Redis store, by its documented name: require("growatt.store_redis") is growatt.engine.store_redis.
return require("growatt.engine.store_redis")
