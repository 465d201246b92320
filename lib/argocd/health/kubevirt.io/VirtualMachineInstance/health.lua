-- kvmigrate: Argo CD health of KubeVirt VirtualMachineInstances. Argo CD's bundled behaviour, except that a
-- receiver's instance parked in WaitingForSync is Healthy (the bundled check calls it Degraded).
-- Lua 5.1, without the string library.

local health = { status = "Progressing", message = "No status available" }
if obj.status == nil then
  return health
end
local phase = obj.status.phase
if phase == "WaitingForSync" then
  return { status = "Healthy", message = "WaitingForSync: ready to receive a migration" }
end
if phase ~= nil then
  health.message = phase
  if phase == "Failed" then
    health.status = "Degraded"
    return health
  elseif phase == "Pending" or phase == "Scheduling" or phase == "Scheduled" then
    return health
  elseif phase == "Succeeded" then
    health.status = "Suspended"
    return health
  elseif phase == "Unknown" then
    health.status = "Unknown"
    return health
  end
end
if obj.status.conditions ~= nil then
  for _, condition in ipairs(obj.status.conditions) do
    if condition.type == "Ready" then
      if condition.status == "True" then
        health.status = "Healthy"
        health.message = "Running"
      else
        health.status = "Degraded"
        health.message = condition.message
      end
    elseif condition.type == "Paused" and condition.status == "True" then
      return { status = "Suspended", message = condition.message }
    end
  end
end
return health
