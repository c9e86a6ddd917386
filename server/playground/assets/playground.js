// dpcma playground: renders GraphiQL (vendored UMD bundles, loaded before this
// file) against the endpoint named in <meta name="dpcma-endpoint">, with the
// docs explorer, the query-builder (explorer) plugin, the request header
// editor, the example queries of examples.json and the result views of
// results.js (table, chart, downloads).
(function () {
  'use strict';

  var root = document.getElementById('graphiql');

  function fail(message) {
    root.textContent = '';
    var p = document.createElement('p');
    p.className = 'dpcma-loading';
    p.textContent = message;
    root.appendChild(p);
  }

  if (!window.React || !window.ReactDOM || !window.GraphiQL || !window.GraphiQLPluginExplorer) {
    fail('The playground could not load its scripts. The GraphQL endpoint still answers at /query.');
    return;
  }

  var h = React.createElement;
  var UI = GraphiQL.React; // @graphiql/react, bundled in GraphiQL's UMD build
  var GQL = GraphiQL.GraphQL; // graphql-js, likewise

  var meta = document.querySelector('meta[name="dpcma-endpoint"]');
  var endpoint = (meta && meta.getAttribute('content')) || '/query';
  var script = document.currentScript;
  var examplesURL = new URL('examples.json', script ? script.src : location.href).href;

  var DEFAULT_QUERY = [
    '# dpcma: Digital Primary Care Maturity as GraphQL.',
    '#',
    '# Open a ready-made query from Examples (the book icon in the sidebar or in the',
    '# editor toolbar), build one with the Explorer, or type: Ctrl-Space completes,',
    '# Ctrl-Enter runs, and Docs describes every type and field.',
    '#',
    '# Over the result, Table and Chart show a list in it as sortable rows',
    '# or as bars (a line over periods), to download as CSV or SVG.',
    '#',
    '# Reading needs no sign-in. Writing (the Submit answers example) needs a',
    '# token: open Headers below the editor and paste your token as',
    '#   {"Authorization": "Bearer ..."}',
    '# It is sent with every request from this page and not stored.',
    '#',
    '# What the figures mean (scores, levels, completion, peer percentile) is',
    '# in Docs, on type Maturity.',
    '',
    '{',
    '  national {',
    '    name',
    '    maturity { score levelName }',
    '  }',
    '}',
    ''
  ].join('\n');

  // The text an example shows in the editor: its title and description as
  // comments, then the document pretty-printed and named after the example
  // (GraphiQL titles a tab with its operation name).
  function exampleText(ex) {
    var body = ex.query;
    try {
      var doc = GQL.parse(ex.query);
      var defs = doc.definitions.map(function (d, i) {
        if (i === 0 && d.kind === 'OperationDefinition' && !d.name && ex.operationName) {
          return Object.assign({}, d, { name: { kind: 'Name', value: ex.operationName } });
        }
        return d;
      });
      body = GQL.print(Object.assign({}, doc, { definitions: defs }));
    } catch (e) {
      // Show the document as written; GraphiQL will point at the problem.
    }
    return comment(ex.title) + comment(ex.description) + body + '\n';
  }

  // comment turns text into '# ' lines of at most about 60 characters.
  function comment(text) {
    var out = '', line = '';
    String(text).split(/\s+/).forEach(function (word) {
      if (line && line.length + 1 + word.length > 60) {
        out += '# ' + line + '\n';
        line = word;
      } else {
        line = line ? line + ' ' + word : word;
      }
    });
    return out + '# ' + line + '\n';
  }

  function BookIcon(props) {
    return h('svg', Object.assign({
      viewBox: '0 0 24 24', width: '1em', height: '1em', fill: 'none',
      stroke: 'currentColor', strokeWidth: 1.5, strokeLinecap: 'round', strokeLinejoin: 'round',
      'aria-hidden': 'true'
    }, props),
      h('path', { d: 'M4 19.5V5a2 2 0 0 1 2-2h14v15H6.5A2.5 2.5 0 0 0 4 20.5 2.5 2.5 0 0 0 6.5 23H20v-5' }),
      h('path', { d: 'M8 7h8M8 11h6' }));
  }

  // useOpenExample returns a function that shows an example: it switches to a
  // tab that already holds it unchanged, or else opens it in a new tab.
  function useOpenExample() {
    var editor = UI.useEditorContext({ nonNull: true });
    return function (ex) {
      var text = exampleText(ex);
      for (var i = 0; i < editor.tabs.length; i++) {
        if (editor.tabs[i].query === text) {
          editor.changeTab(i);
          return;
        }
      }
      editor.addTab();
      // addTab fills the new tab once React has applied the state change.
      setTimeout(function () {
        if (editor.queryEditor) editor.queryEditor.setValue(text);
      }, 0);
    };
  }

  function start(examples) {
    function ExamplesPanel() {
      var open = useOpenExample();
      return h('section', { className: 'dpcma-examples' },
        h('h2', null, 'Examples'),
        h('p', null, 'Queries a dashboard would send, and a write. Each opens in its own tab; run it with Ctrl-Enter or the play button.'),
        h('p', null, 'Writes need a token: paste it in Headers (below the editor) as {"Authorization": "Bearer ..."}.'),
        h('ul', null, examples.map(function (ex, i) {
          // A page of the service about the same subject opens beside
          // the button (a link cannot sit inside one).
          return h('li', { key: i },
            h('button', { type: 'button', className: 'dpcma-example', onClick: function () { open(ex); } },
              h('strong', null, ex.title),
              h('span', null, ex.description)),
            ex.page ? h('a', { className: 'dpcma-example-page', href: ex.page.href, target: '_blank', rel: 'noopener' }, ex.page.text) : null);
        })));
    }

    function ExamplesMenu() {
      var open = useOpenExample();
      return h(UI.ToolbarMenu, {
        label: 'Examples',
        button: h(BookIcon, { className: 'graphiql-toolbar-icon' })
      }, examples.map(function (ex, i) {
        return h(UI.ToolbarMenu.Item, { key: i, onSelect: function () { open(ex); } }, ex.title);
      }));
    }

    var plugins = [GraphiQLPluginExplorer.explorerPlugin()];
    if (examples.length) {
      plugins.push({ title: 'Examples', icon: BookIcon, content: ExamplesPanel });
    }

    var props = {
      fetcher: GraphiQL.createFetcher({ url: endpoint }),
      plugins: plugins,
      defaultQuery: DEFAULT_QUERY,
      // First visit: one tab per example. Later visits restore the user's tabs.
      defaultTabs: examples.length ? examples.map(function (ex) { return { query: exampleText(ex) }; }) : undefined,
      // The header editor carries the token for writes; it is open from
      // the start so that it can be found, and never saved in the browser.
      isHeadersEditorEnabled: true,
      defaultEditorToolsVisibility: 'headers',
      shouldPersistHeaders: false
    };

    var children = [
      h(GraphiQL.Logo, { key: 'logo' }, h('span', { className: 'dpcma-logo' }, 'dpcma')),
      h(GraphiQL.Toolbar, { key: 'toolbar' }, function (tools) {
        return h(React.Fragment, null, tools.prettify, tools.merge, tools.copy,
          examples.length ? h(ExamplesMenu) : null);
      })
    ];
    // GraphiQL renders its footer inside the result pane: the JSON, Table and
    // Chart views of results.js live there.
    if (window.DpcmaResults) {
      children.push(h(GraphiQL.Footer, { key: 'footer' }, h(DpcmaResults.View)));
    }

    root.textContent = '';
    ReactDOM.createRoot(root).render(h(GraphiQL, props, children));
  }

  fetch(examplesURL, { credentials: 'same-origin' })
    .then(function (res) {
      if (!res.ok) throw new Error('HTTP ' + res.status);
      return res.json();
    })
    .then(function (examples) { return Array.isArray(examples) ? examples : []; })
    .catch(function () { return []; })
    .then(start)
    .catch(function (err) {
      fail('The playground failed to start: ' + (err && err.message ? err.message : err));
    });
})();
