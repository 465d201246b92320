-- kvmigrate: Argo CD health of CDI DataVolumes. Argo CD's bundled behaviour, except that a blank DataVolume waiting
-- for its consumer is Healthy: only a migration's target pod consumes it, and that pod exists only once the
-- migration runs, so a wave waiting for it would wait forever. KubeVirt treats these phases as ready too.
-- Lua 5.1, without the string library.
-- Argo CD's controller reports an object being deleted as Progressing before any script runs (gitops-engine
-- health.GetResourceHealth), so the script does not look at deletionTimestamp.

if obj.status == nil then
  return { status = "Progressing", message = "No status available" }
end

local phase = obj.status.phase
-- An error is Degraded in every phase, also while the blank disk waits for its consumer.
if obj.status.conditions ~= nil then
  for _, condition in ipairs(obj.status.conditions) do
    if condition.type == "Running" and condition.status == "False" and condition.reason == "Error" then
      return { status = "Degraded", message = condition.message }
    end
  end
end
local blank = obj.spec ~= nil and obj.spec.source ~= nil and obj.spec.source.blank ~= nil
if blank and (phase == "PendingPopulation" or phase == "WaitForFirstConsumer") then
  return { status = "Healthy", message = phase .. ": waits for the migration's target pod" }
end

local health = { status = "Progressing", message = "No status available" }
if phase ~= nil then
  health.message = phase
  if phase == "Succeeded" then
    health.status = "Healthy"
    return health
  elseif phase == "Paused" then
    health.status = "Suspended"
    return health
  elseif phase == "Failed" or phase == "Unknown" then
    health.status = "Degraded"
  end
end
return health
