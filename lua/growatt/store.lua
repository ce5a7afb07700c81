--- the state stores (memory, file), by its documented name: require("growatt.store") is growatt.engine.store.
return require("growatt.engine.store")
