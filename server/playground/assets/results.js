// dpcma playground: views of a result beside GraphiQL's JSON. Three buttons
// over the result pane choose JSON, Table or Chart. Table lays out a list of
// the result as rows, Chart draws one numeric column of it as bars (or as a
// line over periods), and each can be downloaded (CSV, SVG). playground.js
// mounts View in GraphiQL's result pane; the functions that shape the data are
// on window.DpcmaResults too, so that the browser check can test them.
(function () {
  'use strict';

  var PERIOD = /^\d{4}-\d{2}-H[12]$/; // 2016-17-H1
  var whole = new Intl.NumberFormat('en-GB', { maximumFractionDigits: 0 });
  var decimal = new Intl.NumberFormat('en-GB', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  var number = { format: function (v) { return (Number.isInteger(v) ? whole : decimal).format(v); } };

  function isObject(v) { return v !== null && typeof v === 'object' && !Array.isArray(v); }
  function join(path, key) { return path ? path + '.' + key : key; }

  // alike returns the keys of obj whose values are objects of one shape, two or
  // more: aliased fields such as a practice's maturity in several periods.
  function alike(obj) {
    var shapes = {}, out = {};
    Object.keys(obj).forEach(function (k) {
      if (isObject(obj[k])) {
        var shape = Object.keys(obj[k]).join();
        (shapes[shape] = shapes[shape] || []).push(k);
      }
    });
    Object.keys(shapes).forEach(function (shape) {
      if (shapes[shape].length > 1) shapes[shape].forEach(function (k) { out[k] = true; });
    });
    return out;
  }

  // scalars copies the scalar fields of obj, and of the objects within it,
  // into out under dotted names (maturity.score); lists and aliased fields
  // alike are left to lists().
  function scalars(obj, prefix, out) {
    var skip = alike(obj);
    Object.keys(obj).forEach(function (k) {
      var v = obj[k];
      if (isObject(v) && !skip[k]) scalars(v, join(prefix, k), out);
      else if (!isObject(v) && !Array.isArray(v)) out[join(prefix, k)] = v;
    });
    return out;
  }

  // lists finds the lists of objects in a result's data, longest first. The
  // items of a list inside another list's items make one list, named by the
  // path without edges and node (organisation.children.children); each row
  // has its item's fields and, under their full paths, its parents'. Aliased
  // fields of one shape (a maturity per period) are a list too, named path.*.
  function lists(data) {
    var found = {}, order = [];
    function add(path, item, parents) {
      var list = found[path] || (found[path] = order[order.push({ path: path, rows: [] }) - 1]);
      list.rows.push({ own: scalars(item, '', {}), parents: parents });
      visit(item, path, parents);
    }
    function visit(obj, path, parents) {
      var same = alike(obj);
      parents = scalars(obj, path, Object.assign({}, parents));
      Object.keys(obj).forEach(function (k) {
        var v = obj[k], p = k === 'edges' ? path : join(path, k);
        if (same[k]) {
          add(join(path, '*'), Object.assign({ field: k }, v), parents);
        } else if (Array.isArray(v)) {
          v.forEach(function (item) {
            if (isObject(item) && isObject(item.node)) item = item.node;
            if (isObject(item)) add(p, item, parents);
          });
        } else if (isObject(v)) {
          visit(v, p, parents);
        }
      });
    }
    if (isObject(data)) visit(data, '', {});
    // On a tie the deeper list (CCGs rather than their STPs) comes first.
    return order.sort(function (a, b) {
      return b.rows.length - a.rows.length || b.path.split('.').length - a.path.split('.').length;
    });
  }

  // table turns a list into columns (the items' own fields first, then their
  // parents') and flat rows, each column with its kind: number, period or text.
  function table(list) {
    var columns = [], seen = {}, own;
    ['own', 'parents'].forEach(function (part) {
      list.rows.forEach(function (r) {
        Object.keys(r[part]).forEach(function (c) {
          if (!seen[c]) { seen[c] = true; columns.push(c); }
        });
      });
      own = own || columns.slice();
    });
    var rows = list.rows.map(function (r) { return Object.assign({}, r.parents, r.own); });
    var kinds = {};
    columns.forEach(function (c) {
      var values = rows.map(function (r) { return r[c]; }).filter(function (v) { return v != null; });
      kinds[c] = !values.length ? 'text'
        : values.every(function (v) { return typeof v === 'number'; }) ? 'number'
        : values.every(function (v) { return PERIOD.test(v); }) ? 'period' : 'text';
    });
    return { path: list.path, columns: columns, rows: rows, kinds: kinds, own: own };
  }

  // sortRows orders rows by a column (dir 1 ascending, -1 descending), blanks
  // last either way.
  function sortRows(rows, column, dir) {
    if (!column) return rows;
    return rows.slice().sort(function (x, y) {
      var a = x[column], b = y[column];
      if (a == null || b == null) return (a == null) - (b == null);
      if (typeof a === 'number' && typeof b === 'number') return dir * (a - b);
      return dir * String(a).localeCompare(String(b), 'en-GB', { numeric: true });
    });
  }

  // show is how a table cell reads: whole numbers as they are, others to one
  // decimal, nulls blank.
  function show(v) {
    if (v == null) return '';
    return typeof v === 'number' ? number.format(v) : String(v);
  }

  // csv writes columns and rows as RFC 4180 CSV with a byte order mark, so
  // that Excel reads it as UTF-8; values stay exact.
  function csv(columns, rows) {
    function cell(v) {
      var s = v == null ? '' : String(v);
      return /[",\r\n]|^\s|\s$/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
    }
    var lines = [columns.map(cell).join(',')].concat(rows.map(function (r) {
      return columns.map(function (c) { return cell(r[c]); }).join(',');
    }));
    return '\ufeff' + lines.join('\r\n') + '\r\n';
  }

  // defaults picks what a chart draws at first: the items' own period column,
  // if they differ in it, as the axis (a line), or else their name; and a
  // score or count as the value.
  function defaults(t) {
    function kind(c) { return t.kinds[c]; }
    function first(cols, test) { return cols.filter(test)[0]; }
    function varies(c) { return new Set(t.rows.map(function (r) { return r[c]; })).size > 1; }
    var label = first(t.own, function (c) { return kind(c) === 'period' && varies(c); }) ||
      first(t.own, function (c) { return kind(c) === 'text' && /(^|\.)name$/.test(c); }) ||
      first(t.own, function (c) { return kind(c) !== 'number'; }) ||
      first(t.columns, function (c) { return kind(c) !== 'number'; });
    var value = first(t.own, function (c) { return kind(c) === 'number' && /score$/i.test(c); }) ||
      first(t.own, function (c) { return kind(c) === 'number' && /count$/i.test(c); }) ||
      first(t.own, function (c) { return kind(c) === 'number'; }) ||
      first(t.columns, function (c) { return kind(c) === 'number'; });
    return { label: label, value: value };
  }

  // ticks returns about n round values from at or below lo to at or above hi.
  function ticks(lo, hi, n) {
    var raw = (hi - lo || Math.abs(hi) || 1) / n;
    var step = Math.pow(10, Math.floor(Math.log10(raw))), f = raw / step;
    step *= f >= 7.5 ? 10 : f >= 3.5 ? 5 : f >= 1.5 ? 2 : 1;
    var out = [];
    for (var v = Math.floor(lo / step) * step; v < hi + step - step * 1e-9; v += step) {
      out.push(Number(v.toFixed(10)));
    }
    if (out.length < 2) out.push(Number((out[0] + step).toFixed(10)));
    return out;
  }

  // ---- React views --------------------------------------------------------

  var COLOURS = { bar: '#005eb8', line: '#005eb8', text: '#212b32', muted: '#4c6272', grid: '#d8dde0' };
  var FONT = 'system-ui, -apple-system, Segoe UI, Roboto, Arial, sans-serif';
  var VIEWS = [['json', 'JSON'], ['table', 'Table'], ['chart', 'Chart']];
  var STORE = 'dpcma:resultViews';

  function h() { return React.createElement.apply(React, arguments); }

  function slug(s) { return String(s || 'result').replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-|-$/g, '') || 'result'; }

  function download(name, type, text) {
    var url = URL.createObjectURL(new Blob([text], { type: type }));
    var a = document.createElement('a');
    a.href = url;
    a.download = name;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
  }

  // The view chosen in each tab, by GraphiQL's tab id, kept across visits.
  function loadViews() {
    try { return JSON.parse(localStorage.getItem(STORE)) || {}; } catch (e) { return {}; }
  }
  function saveViews(views, tabs) {
    var keep = {};
    tabs.forEach(function (t) { if (views[t.id]) keep[t.id] = views[t.id]; });
    try { localStorage.setItem(STORE, JSON.stringify(keep)); } catch (e) { /* private mode: per visit only */ }
  }

  function Select(props) {
    return h('label', { className: 'dpcma-views-choice' }, props.label + ' ',
      h('select', { value: props.value || '', onChange: function (e) { props.onChange(e.target.value); } },
        props.options.map(function (o) { return h('option', { key: o[0], value: o[0] }, o[1]); })));
  }

  function Table(props) {
    var t = props.table, sort = props.sort;
    return h('table', { className: 'dpcma-table' },
      h('caption', null, (t.path || 'result') + ': ' + t.rows.length + ' rows'),
      h('thead', null, h('tr', null, t.columns.map(function (c) {
        var dir = sort.column === c ? sort.dir : 0;
        return h('th', {
          key: c, scope: 'col', className: t.kinds[c] === 'number' ? 'dpcma-num' : null,
          'aria-sort': dir > 0 ? 'ascending' : dir < 0 ? 'descending' : 'none'
        }, h('button', {
          type: 'button', title: 'Sort by ' + c,
          onClick: function () { props.onSort({ column: c, dir: dir > 0 ? -1 : 1 }); }
        }, c, h('span', { 'aria-hidden': 'true' }, dir > 0 ? ' ▲' : dir < 0 ? ' ▼' : '')));
      }))),
      h('tbody', null, props.rows.map(function (r, i) {
        return h('tr', { key: i }, t.columns.map(function (c) {
          return h('td', { key: c, className: t.kinds[c] === 'number' ? 'dpcma-num' : null }, show(r[c]));
        }));
      })));
  }

  function text(x, y, s, attrs) {
    return h('text', Object.assign({ x: x, y: y, fill: COLOURS.text, fontSize: 12 }, attrs), s);
  }

  // Chart draws horizontal bars, one per row in the table's order, or, when
  // the label column holds periods, a line through one point per row.
  function Chart(props) {
    var label = props.label, value = props.value;
    var rows = props.rows.filter(function (r) { return typeof r[value] === 'number'; });
    if (!label || !value || !rows.length) {
      return h('p', { className: 'dpcma-views-note' }, 'The chart needs a column of numbers; this list has none with values.');
    }
    var isLine = props.kinds[label] === 'period';
    var title = props.title + ': ' + value + ' by ' + label;
    var values = rows.map(function (r) { return r[value]; });
    var ts = ticks(Math.min(0, Math.min.apply(null, values)), Math.max(0, Math.max.apply(null, values)), 5);
    var lo = ts[0], hi = ts[ts.length - 1];
    var skipped = props.rows.length - rows.length;
    var svg = isLine ? line() : bars();
    return h('figure', { className: 'dpcma-chart' }, svg,
      skipped ? h('figcaption', null, skipped + ' rows without a value for ' + value + ' are left out.') : null);

    function bars() {
      var longest = Math.max.apply(null, rows.map(function (r) { return show(r[label]).length; }));
      var left = 16 + 7.2 * Math.min(44, Math.max(longest, label.length)), width = left + 400, top = 56, band = 22;
      var height = top + rows.length * band + 48;
      var x = function (v) { return left + (v - lo) / (hi - lo) * (width - left - 24); };
      return h('svg', {
        ref: props.svgRef, width: width, height: height,
        viewBox: '0 0 ' + width + ' ' + height, role: 'img', 'aria-label': title, fontFamily: FONT
      },
        h('rect', { width: width, height: height, fill: '#fff' }),
        text(8, 22, title, { fontSize: 15, fontWeight: 600 }),
        text(left - 8, top - 10, label, { textAnchor: 'end', fill: COLOURS.muted }),
        ts.map(function (v) {
          return h('g', { key: v },
            h('line', { x1: x(v), x2: x(v), y1: top - 4, y2: height - 44, stroke: COLOURS.grid }),
            text(x(v), height - 30, number.format(v), { textAnchor: 'middle', fill: COLOURS.muted }));
        }),
        text((left + width - 24) / 2, height - 10, value, { textAnchor: 'middle', fill: COLOURS.muted }),
        rows.map(function (r, i) {
          var y = top + i * band, v = r[value], name = show(r[label]);
          return h('g', { key: i },
            text(left - 8, y + 15, name.length > 44 ? name.slice(0, 43) + '…' : name, { textAnchor: 'end' }),
            h('rect', {
              className: 'dpcma-mark', x: Math.min(x(0), x(v)), y: y + 3, height: band - 6,
              width: Math.max(1, Math.abs(x(v) - x(0))), fill: COLOURS.bar
            }, h('title', null, name + ': ' + number.format(v))));
        }));
    }

    function line() {
      var pts = sortRows(rows, label, 1), width = Math.max(480, 120 + pts.length * 90), height = 360;
      var left = 64, top = 48, bottom = height - 64;
      var x = function (i) { return left + 40 + i * (width - left - 90) / Math.max(1, pts.length - 1); };
      var y = function (v) { return bottom - (v - lo) / (hi - lo) * (bottom - top); };
      return h('svg', {
        ref: props.svgRef, width: width, height: height,
        viewBox: '0 0 ' + width + ' ' + height, role: 'img', 'aria-label': title, fontFamily: FONT
      },
        h('rect', { width: width, height: height, fill: '#fff' }),
        text(8, 22, title, { fontSize: 15, fontWeight: 600 }),
        ts.map(function (v) {
          return h('g', { key: v },
            h('line', { x1: left, x2: width - 16, y1: y(v), y2: y(v), stroke: COLOURS.grid }),
            text(left - 6, y(v) + 4, number.format(v), { textAnchor: 'end', fill: COLOURS.muted }));
        }),
        text(14, (top + bottom) / 2, value, {
          textAnchor: 'middle', fill: COLOURS.muted, transform: 'rotate(-90 14 ' + (top + bottom) / 2 + ')'
        }),
        text((left + width) / 2, height - 12, label, { textAnchor: 'middle', fill: COLOURS.muted }),
        h('polyline', {
          fill: 'none', stroke: COLOURS.line, strokeWidth: 2,
          points: pts.map(function (r, i) { return x(i) + ',' + y(r[value]); }).join(' ')
        }),
        pts.map(function (r, i) {
          return h('g', { key: i },
            text(x(i), bottom + 20, show(r[label]), { textAnchor: 'middle' }),
            h('circle', { className: 'dpcma-mark', cx: x(i), cy: y(r[value]), r: 4, fill: COLOURS.line },
              h('title', null, show(r[label]) + ': ' + number.format(r[value]))));
        }));
    }
  }

  // View is the bar of view buttons over the result pane and, for Table and
  // Chart, the view itself (playground.css hides GraphiQL's JSON meanwhile).
  function View() {
    var UI = GraphiQL.React;
    var editor = UI.useEditorContext({ nonNull: true });
    var tab = editor.tabs[editor.activeTabIndex] || {};
    var state = React.useState(loadViews), views = state[0], setViews = state[1];
    // The list, sort and chart columns chosen in each tab, for this visit.
    var choice = React.useState({}), choices = choice[0], setChoices = choice[1];
    var ch = choices[tab.id] || {};
    var svgRef = React.useRef(null);
    var view = views[tab.id] || 'json';

    var found = React.useMemo(function () {
      try { return lists(JSON.parse(tab.response).data); } catch (e) { return []; }
    }, [tab.response]);
    var list = found.filter(function (l) { return l.path === ch.list; })[0] || found[0];
    var t = React.useMemo(function () { return list ? table(list) : null; }, [list]);

    function pick(column, kinds) {
      return t && t.columns.indexOf(column) >= 0 && (!kinds || kinds.indexOf(t.kinds[column]) >= 0) ? column : null;
    }
    var sort = { column: pick(ch.sort && ch.sort.column), dir: ch.sort ? ch.sort.dir : 1 };
    var rows = t ? sortRows(t.rows, sort.column, sort.dir) : [];
    var first = t ? defaults(t) : {};
    var label = pick(ch.label) || first.label, value = pick(ch.value, ['number']) || first.value;
    var title = tab.operationName || tab.title || 'Result';

    function set(key, v) {
      setChoices(Object.assign({}, choices, { [tab.id]: Object.assign({}, ch, { [key]: v }) }));
    }
    function choose(v) {
      var next = Object.assign({}, views, { [tab.id]: v });
      setViews(next);
      saveViews(next, editor.tabs);
    }

    var tools = [];
    if (view !== 'json' && t) {
      if (found.length > 1) {
        tools.push(h(Select, {
          key: 'list', label: 'List', value: list.path, onChange: function (v) { set('list', v); },
          options: found.map(function (l) { return [l.path, (l.path || 'result') + ' (' + l.rows.length + ')']; })
        }));
      }
      if (view === 'chart') {
        var all = t.columns.map(function (c) { return [c, c]; });
        tools.push(h(Select, { key: 'label', label: 'By', value: label, options: all, onChange: function (v) { set('label', v); } }));
        tools.push(h(Select, {
          key: 'value', label: 'Value', value: value, onChange: function (v) { set('value', v); },
          options: all.filter(function (o) { return t.kinds[o[0]] === 'number'; })
        }));
      }
      tools.push(view === 'table'
        ? h('button', {
          key: 'dl', type: 'button', className: 'dpcma-views-download',
          onClick: function () { download(slug(title) + '.csv', 'text/csv;charset=utf-8', csv(t.columns, rows)); }
        }, 'Download CSV')
        : h('button', {
          key: 'dl', type: 'button', className: 'dpcma-views-download', disabled: !value,
          onClick: function () {
            if (svgRef.current) download(slug(title) + '.svg', 'image/svg+xml', new XMLSerializer().serializeToString(svgRef.current));
          }
        }, 'Download SVG'));
    }

    var body = null;
    if (view !== 'json') {
      body = !t
        ? h('p', { className: 'dpcma-views-note' }, tab.response
          ? 'This result holds no list to show as a table or chart.'
          : 'Run a query (Ctrl-Enter) to see its result as a table or chart.')
        : view === 'table'
          ? h(Table, { table: t, rows: rows, sort: sort, onSort: function (s) { set('sort', s); } })
          : h(Chart, { rows: rows, kinds: t.kinds, label: label, value: value, title: title, svgRef: svgRef });
    }

    return h('div', { className: 'dpcma-views', 'data-view': view },
      h('div', { className: 'dpcma-views-bar' },
        h('div', { role: 'group', 'aria-label': 'Show the result as', className: 'dpcma-views-switch' },
          VIEWS.map(function (v) {
            return h('button', {
              key: v[0], type: 'button', 'aria-pressed': view === v[0], 'data-view': v[0],
              onClick: function () { choose(v[0]); }
            }, v[1]);
          })),
        tools),
      body ? h('div', { className: 'dpcma-views-body' }, body) : null);
  }

  window.DpcmaResults = { lists: lists, table: table, sortRows: sortRows, show: show, csv: csv, defaults: defaults, ticks: ticks, View: View };
})();
