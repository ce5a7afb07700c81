-- The fields real clients read, per API and device type: the keys of Home Assistant's
-- growatt_server sensors, looked up in the union of the replies it merges (`from`). The
-- sandbox serves every one (spec/emulator_spec.lua checks it); `absent` names keys that a
-- client reads but Growatt does not send there, and neither does the sandbox.
-- Plain Lua 5.1-5.4 data, also read by specs (as growatt.sandbox.data.FIELDS).

local function words(s)
  local list = {}
  for w in s:gmatch("%S+") do list[#list + 1] = w end
  return list
end

local TLX_KEYS = words [[
  eacToday eacTotal epvToday epvTotal ppv pac psystem pself fac vacrs bmsSoc
  epv1Today epv1Total vpv1 ipv1 ppv1 epv2Today epv2Total vpv2 ipv2 ppv2
  epv3Today epv3Total vpv3 ipv3 ppv3 epv4Today epv4Total vpv4 ipv4 ppv4
  temp1 temp2 temp3 temp4 temp5
  echargeToday echargeTotal edischargeToday edischargeTotal eacChargeToday eacChargeTotal
  bdc1ChargePower bdc1ChargeTotal bdc1DischargePower bdc1DischargeTotal
  bdc2ChargePower bdc2ChargeTotal bdc2DischargePower bdc2DischargeTotal
  etoGridToday etoGridTotal etoUserToday etoUserTotal elocalLoadToday elocalLoadTotal
  esystemToday esystemTotal eselfToday eselfTotal pacToLocalLoad pacToUserTotal pacToGridTotal ]]

local function without(list, name)
  local out = {}
  for _, k in ipairs(list) do
    if k ~= name then out[#out + 1] = k end
  end
  return out
end

return {
  legacy = {
    total = { from = "getAllDeviceList without deviceList",
              keys = words "plantMoneyText totalMoneyText todayEnergy invTodayPpv totalEnergy nominalPower" },
    inverter = { from = "getInverterDetailData", keys = words [[
      powerToday powerTotal vpv1 ipv1 ppv1 vpv2 ipv2 ppv2 vpv3 ipv3 ppv3 ppv vacr iacr fac pac pacr
      ipmTemperature temperature ]] },
    storage = { from = "getStorageParams_sacolar storageDetailBean + getEnergyOverviewData_sacolar obj",
                keys = words [[
      eBatDisChargeToday eBatDisChargeTotal eacDisChargeToday eacDisChargeTotal eopDischrToday eopDischrTotal
      eacChargeToday eacChargeTotal eChargeToday eChargeTotal epvToday epvTotal ppv ppv2 capacity
      pCharge pDischarge pBat rateVA pAcInPut eToUserToday eToUserTotal outPutPower vGrid vpv vpv2
      freqOutPut outPutVolt freqGrid iAcCharge iChargePV1 iChargePV2 chgCurr outPutCurrent vBat loadPercent ]] },
    mix = { from = "getMixInfo + getEnergyOverview + getSystemStatus_KW + getEnergyProdAndCons_KW obj",
            keys = words [[
      capacity eBatChargeToday eBatChargeTotal eBatDisChargeToday eBatDisChargeTotal epvToday epvTotal
      pDischarge1 vbat vpv1 vpv2 elocalLoadToday elocalLoadTotal etoGridToday etogridTotal
      chargePower pLocalLoad pPv1 pPv2 ppv pactogrid pactouser pdisCharge1 vAc1
      eCharge eChargeToday eChargeToday1 echarge1 etouser chartData ]] },
    -- Growatt's getTlxDetailData has no epvToday: clients take it from getEnergyOverview.
    tlx = { from = "getTlxDetailData data", keys = without(TLX_KEYS, "epvToday"), absent = { "epvToday" } },
  },
  v1 = {
    tlx = { from = "tlx_data_info + tlx_set_info + tlx_last_data data", keys = TLX_KEYS },
    mix = { from = "mix_data_info + mix_last_data data", keys = words [[
      bmsSOC vbat vpv1 vpv2 vac1 pcharge1 pdischarge1 pacToGridTotal pacToUserR fac
      temp1 temp2 temp3 temp4 temp5 ppv1 ppv2 ppv echarge1Today echarge1Total edischarge1Today edischarge1Total
      epvtoday epvTotal esystemtoday eselfToday etoUserToday etoGridToday etogridTotal
      elocalLoadToday elocalLoadTotal echarge1 eChargeToday time ]] },
  },
}
