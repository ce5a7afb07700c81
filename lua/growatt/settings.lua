--- Settings writes of the ShinePhone API: their endpoint entries and the validation
-- that runs before anything is sent.

local settings = {}

--- Endpoint entries of the writes (same format as growatt.endpoints).
settings.endpoints = {}

return settings
