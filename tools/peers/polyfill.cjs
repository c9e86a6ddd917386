// PostGraphile 5 asks for Node 22; this machine has Node 20. These are the
// few ES2024 built-ins it needs, added only where missing.
if (!Promise.withResolvers) Promise.withResolvers = function () { let resolve, reject; const promise = new Promise((a, b) => { resolve = a; reject = b; }); return { promise, resolve, reject }; };
if (!Object.groupBy) Object.groupBy = function (items, f) { const o = Object.create(null); let i = 0; for (const x of items) { const k = f(x, i++); (o[k] ||= []).push(x); } return o; };
if (!Map.groupBy) Map.groupBy = function (items, f) { const m = new Map(); let i = 0; for (const x of items) { const k = f(x, i++); if (!m.has(k)) m.set(k, []); m.get(k).push(x); } return m; };
for (const [name, fn] of Object.entries({
  union(o) { const r = new Set(this); for (const x of o.keys()) r.add(x); return r; },
  intersection(o) { const r = new Set(); for (const x of this) if (o.has(x)) r.add(x); return r; },
  difference(o) { const r = new Set(); for (const x of this) if (!o.has(x)) r.add(x); return r; },
  symmetricDifference(o) { const r = new Set(this); for (const x of o.keys()) { if (this.has(x)) r.delete(x); else r.add(x); } return r; },
  isSubsetOf(o) { for (const x of this) if (!o.has(x)) return false; return true; },
  isSupersetOf(o) { for (const x of o.keys()) if (!this.has(x)) return false; return true; },
  isDisjointFrom(o) { for (const x of this) if (o.has(x)) return false; return true; },
})) if (!Set.prototype[name]) Object.defineProperty(Set.prototype, name, { value: fn, writable: true, configurable: true });
