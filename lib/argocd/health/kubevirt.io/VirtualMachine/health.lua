-- kvmigrate: Argo CD health of KubeVirt VirtualMachines. Argo CD's bundled behaviour for every VM, except:
--  * a receiver (runStrategy WaitAsReceiver) is Progressing until KubeVirt creates its instance, Healthy once parked
--    (WaitingForReceiver) or migrating, and Degraded when receiving failed (the bundled check says Progressing
--    forever, and the PostSync hook would never run); the states that are ready are listed, so no other is Healthy;
--  * a stopped, Halted VM that kvmigrate manages (label app.kubernetes.io/managed-by: kvmigrate) is Healthy: it is
--    where KubeVirt leaves a migrated source VM; every other stopped VM keeps the bundled Suspended.
-- Argo CD's controller reports an object being deleted as Progressing before any script runs (gitops-engine
-- health.GetResourceHealth), so the script does not look at deletionTimestamp.
-- Lua 5.1, without the string library.

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

-- A receiver is ready for the next step only in these states (listed, so an unforeseen one is never Healthy).
local RECEIVER_READY = { WaitingForReceiver = true, Migrating = true, Running = true }
-- States in which receiving has failed and will not recover by itself.
local RECEIVER_ERRORS = { ErrorUnschedulable = true, ErrorPvcNotFound = true, DataVolumeError = true, CrashLoopBackOff = true }

local function receiverHealth(status)
  local printable = status.printableStatus
  local failure = findCondition(status, "Failure")
  if failure ~= nil and failure.status == "True" then
    return { status = "Degraded", message = "receiving failed: " .. (failure.message or failure.reason or "Failure") }
  end
  local paused = findCondition(status, "Paused")
  if paused ~= nil and paused.status == "True" then
    return { status = "Suspended", message = "Paused" }
  end
  if printable ~= nil and RECEIVER_ERRORS[printable] then
    return { status = "Degraded", message = "receiving failed: " .. printable }
  end
  if printable == "Stopped" and status.created == true then
    return { status = "Degraded", message = "receiving failed: the receiver instance stopped" }
  end
  if printable == "Unknown" then
    return { status = "Unknown", message = "the receiver's state is Unknown" }
  end
  if status.created ~= true then
    return { status = "Progressing", message = "waiting for KubeVirt to create the receiver instance" }
  end
  if printable ~= nil and RECEIVER_READY[printable] then
    return { status = "Healthy", message = printable .. ": ready to receive" }
  end
  return { status = "Progressing", message = (printable or "no printableStatus") .. ": not ready to receive yet" }
end

local runStrategy = obj.spec ~= nil and obj.spec.runStrategy or nil
if runStrategy == "WaitAsReceiver" then
  return receiverHealth(obj.status or {})
end
local health, paused = bundledHealth(obj.status)
local labels = obj.metadata ~= nil and obj.metadata.labels or nil
local ours = labels ~= nil and labels["app.kubernetes.io/managed-by"] == "kvmigrate"
if ours and runStrategy == "Halted" and health.status == "Suspended" and not paused then
  return { status = "Healthy", message = "Stopped (runStrategy: Halted)" }
end
return health
