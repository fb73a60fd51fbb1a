-- Trims and lower-cases the email of every contact saved, and rejects addresses that are not
-- emails (optionally also free-mail domains such as gmail.com).
return {
  name = "email-normalizer",
  version = "1.0.0",
  description = "Trim and lower-case contact emails; reject invalid ones",
  config = {
    rejectFreeMail = { type = "boolean", default = false },
  },
  on = {
    ["contacts.beforeSave"] = function(event, crm)
      local email = event.record.email
      if type(email) ~= "string" then return end
      email = email:match("^%s*(.-)%s*$"):lower()
      event.record.email = email
      if not email:find("^[^%s@]+@[^%s@]+%.[^%s@]+$") then
        event:reject("email", "is not a valid email address")
      elseif crm.config.rejectFreeMail then
        local domain = email:match("@(.+)$")
        for _, free in ipairs({ "gmail.com", "yahoo.com", "hotmail.com", "outlook.com" }) do
          if domain == free then event:reject("email", "use a company address, not " .. free) end
        end
      end
    end,
  },
}
