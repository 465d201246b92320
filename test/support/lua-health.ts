import { createRequire } from 'node:module';

// fengari is CommonJS without types; it runs real Lua (5.3) in JavaScript.
const { lua, lauxlib, lualib, to_luastring, to_jsstring } = createRequire(import.meta.url)('fengari') as any;

export interface Health {
  readonly status: string;
  readonly message?: string;
}

function push(L: unknown, value: unknown): void {
  if (value === null || value === undefined) lua.lua_pushnil(L);
  else if (typeof value === 'boolean') lua.lua_pushboolean(L, value);
  else if (typeof value === 'number') lua.lua_pushnumber(L, value);
  else if (typeof value === 'string') lua.lua_pushstring(L, to_luastring(value));
  else if (Array.isArray(value)) {
    lua.lua_createtable(L, value.length, 0);
    value.forEach((item, index) => {
      push(L, item);
      lua.lua_rawseti(L, -2, index + 1);
    });
  } else {
    lua.lua_createtable(L, 0, 0);
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      push(L, item);
      lua.lua_setfield(L, -2, to_luastring(key));
    }
  }
}

function field(L: unknown, index: number, name: string): string | undefined {
  lua.lua_getfield(L, index, to_luastring(name));
  const value = lua.lua_isnil(L, -1) ? undefined : to_jsstring(lua.lua_tostring(L, -1));
  lua.lua_pop(L, 1);
  return value;
}

/** The libraries Argo CD opens for a health script without `useOpenLibs` (argo-cd `util/lua/lua.go` `runLua`). */
const ARGO_LIBRARIES: [string, string][] = [
  ['package', 'luaopen_package'],
  ['_G', 'luaopen_base'],
  ['table', 'luaopen_table'],
];

/**
 * Runs an Argo CD health script in the sandbox Argo CD gives it: only the base, table and package libraries (no
 * `string`, `math`, `os`, `io`, and no string methods), the live object as global `obj`, the return value read as
 * `{ status, message }`. A script that would fail in Argo CD (and so show Unknown) fails here.
 */
export function runHealthScript(script: string, object: unknown): Health {
  const L = lauxlib.luaL_newstate();
  for (const [name, opener] of ARGO_LIBRARIES) {
    lauxlib.luaL_requiref(L, to_luastring(name), lualib[opener], 1);
    lua.lua_pop(L, 1);
  }
  push(L, object);
  lua.lua_setglobal(L, to_luastring('obj'));
  if (lauxlib.luaL_loadstring(L, to_luastring(script)) !== lua.LUA_OK || lua.lua_pcall(L, 0, 1, 0) !== lua.LUA_OK) {
    throw new Error(`Lua error: ${to_jsstring(lua.lua_tostring(L, -1))}`);
  }
  if (!lua.lua_istable(L, -1)) throw new Error('the health script did not return a table');
  return { status: field(L, -1, 'status')!, message: field(L, -1, 'message') };
}

/**
 * A resource's health as Argo CD's controller decides it (gitops-engine `health.GetResourceHealth`): an object being
 * deleted is Progressing "Pending deletion" before any script runs; otherwise the script's answer.
 */
export function argoResourceHealth(script: string, object: { metadata?: { deletionTimestamp?: string } }): Health {
  if (object.metadata?.deletionTimestamp) return { status: 'Progressing', message: 'Pending deletion' };
  return runHealthScript(script, object);
}
