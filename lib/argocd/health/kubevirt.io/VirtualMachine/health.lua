-- kvmigrate: Argo CD health of KubeVirt VirtualMachines. Argo CD's bundled behaviour for every VM, except:
--  * a receiver (runStrategy WaitAsReceiver) is Progressing until KubeVirt creates its instance, Healthy once parked
--    (WaitingForReceiver) or migrating, and Degraded when receiving failed (the bundled check says Progressing
--    forever, and the receive migration in the next wave would never be applied);
--  * a stopped VM with runStrategy Halted is Healthy: it is where KubeVirt leaves a migrated source VM.
-- Lua 5.1, without the string library.
--#include deletion.lua

local RECEIVER_ERRORS = { ErrorUnschedulable = true, ErrorPvcNotFound = true, DataVolumeError = true, CrashLoopBackOff = true }

local function findCondition(status, conditionType)
  if status.conditions == nil then
    return nil
  end
  for _, condition in ipairs(status.conditions) do
    if condition.type == conditionType then
      return condition
    end
  end
  return nil
end

-- Argo CD's bundled rules; the second result says whether the VM is paused.
local function bundledHealth(status)
  local health = { status = "Progressing", message = "No status available" }
  if status == nil then
    return health, false
  end
  if status.conditions ~= nil then
    for _, condition in ipairs(status.conditions) do
      if condition.type == "Paused" and condition.status == "True" then
        return { status = "Suspended", message = "Paused" }, true
      end
      if condition.type == "Ready" then
        if condition.status == "True" then
          health.status = "Healthy"
          health.message = "Running"
        elseif status.created then
          health.message = "Starting"
        else
          health.status = "Suspended"
          health.message = "Stopped"
        end
      end
    end
  end
  if status.printableStatus ~= nil then
    health.message = status.printableStatus
  end
  return health, false
end

local function receiverHealth(status)
  local printable = status.printableStatus
  local failure = findCondition(status, "Failure")
  if failure ~= nil and failure.status == "True" then
    return { status = "Degraded", message = "receiving failed: " .. (failure.message or failure.reason or "Failure") }
  end
  if printable ~= nil and RECEIVER_ERRORS[printable] then
    return { status = "Degraded", message = "receiving failed: " .. printable }
  end
  if printable == "Stopped" and status.created == true then
    return { status = "Degraded", message = "receiving failed: the receiver instance stopped" }
  end
  if status.created ~= true then
    return { status = "Progressing", message = "waiting for KubeVirt to create the receiver instance" }
  end
  return { status = "Healthy", message = (printable or "WaitingForReceiver") .. ": ready to receive" }
end

local deleting = deletionHealth(obj)
if deleting ~= nil then
  return deleting
end
local runStrategy = obj.spec ~= nil and obj.spec.runStrategy or nil
if runStrategy == "WaitAsReceiver" then
  return receiverHealth(obj.status or {})
end
local health, paused = bundledHealth(obj.status)
if runStrategy == "Halted" and health.status == "Suspended" and not paused then
  return { status = "Healthy", message = "Stopped (runStrategy: Halted)" }
end
return health
