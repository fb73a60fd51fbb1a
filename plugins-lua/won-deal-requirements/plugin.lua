-- A deal can only be won with the facts the books need: an amount and a close date (and, if
-- configured, at least one contact). Checked on every save that leaves the deal won.
return {
  name = "won-deal-requirements",
  version = "1.0.0",
  description = "Require amount and close date (optionally a contact) before a deal is won",
  dependsOn = { "deals" },
  config = {
    requireContact = { type = "boolean", default = false },
  },
  on = {
    ["deals.beforeSave"] = function(event, crm)
      local r = event.record
      if r.status ~= "won" then return end
      if r.amount == nil then event:reject("amount", "is required to win a deal") end
      if r.closeDate == nil then event:reject("closeDate", "is required to win a deal") end
      if crm.config.requireContact and (r.contactIds == nil or #r.contactIds == 0) then
        event:reject("contactIds", "a won deal needs at least one contact")
      end
    end,
  },
}
