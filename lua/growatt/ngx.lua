--- the OpenResty adapter, by its documented name: require("growatt.ngx") is growatt.openresty.ngx.
return require("growatt.openresty.ngx")
