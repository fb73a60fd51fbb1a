-- When a deal moves to a won stage, schedule a thank-you call N days later.
return {
  name = "deal-won-followup",
  version = "1.0.0",
  description = "When a deal is won, schedule a thank-you call",
  dependsOn = { "deals", "activities" },
  config = {
    delayDays = { type = "integer", default = 2, min = 0, max = 365 },
  },
  fields = {
    deals = { { key = "wonReason", label = "Why we won", type = "text" } },
  },
  on = {
    ["deals.stageChanged"] = function(event, crm)
      if event.record.status == "won" and (event.previous == nil or event.previous.status ~= "won") then
        crm.create("activities", {
          type = "call",
          subject = "Thank-you call: " .. event.record.name,
          dealId = event.record.id,
          dueAt = crm.time.addDays(crm.time.now(), crm.config.delayDays),
        })
        crm.log("scheduled a thank-you call for", event.record.name)
      end
    end,
  },
}
