-- Shared by the DataVolume and VirtualMachine checks, as in Argo CD's bundled ones: an object being deleted is
-- Progressing, naming the finalizers that hold it.
local function deletionHealth(o)
  if o.metadata == nil or o.metadata.deletionTimestamp == nil then
    return nil
  end
  local message = "Pending deletion"
  local finalizers = o.metadata.finalizers
  if finalizers ~= nil and #finalizers > 0 then
    message = message .. "; blocked by finalizers: "
    for i, finalizer in ipairs(finalizers) do
      if i > 1 then
        message = message .. ", "
      end
      message = message .. finalizer
    end
  end
  return { status = "Progressing", message = message }
end
