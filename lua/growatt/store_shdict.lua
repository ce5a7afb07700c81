--- The nginx shared-dict store, by its documented name (growatt.openresty.store_shdict).
return require("growatt.openresty.store_shdict")
