-- kvmigrate: Argo CD health of KubeVirt VirtualMachineInstanceMigrations (Argo CD bundles none, so a migration
-- would never gate a wave and a failed one would never turn the application red). A decentralized migration waiting
-- for its other half (receive: WaitingForSync, sendTo: Synchronizing) is Healthy, so the sync can go on to create
-- that other half; Succeeded is Healthy, Failed is Degraded with KubeVirt's reason, anything else Progressing.
-- Lua 5.1, without the string library.

local status = obj.status
if status == nil or status.phase == nil or status.phase == "" then
  return { status = "Progressing", message = "No status available" }
end
local phase = status.phase
local spec = obj.spec or {}
if phase == "Succeeded" then
  return { status = "Healthy", message = "Succeeded" }
end
if phase == "Failed" then
  local reason = status.migrationState ~= nil and status.migrationState.failureReason or nil
  return { status = "Degraded", message = "Failed: " .. (reason or "no reason reported") }
end
if spec.receive ~= nil and phase == "WaitingForSync" then
  return { status = "Healthy", message = "WaitingForSync: waiting for the sending side" }
end
if spec.sendTo ~= nil and phase == "Synchronizing" then
  return { status = "Healthy", message = "Synchronizing: connecting to the receiving side" }
end
return { status = "Progressing", message = phase }
