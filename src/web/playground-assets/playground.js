/* global GraphiQL, React, ReactDOM */
(function () {
  var fetcher = GraphiQL.createFetcher({
    url: window.location.origin + '/graphql',
    // Our token lives in the playground's headers tab: `{"Authorization": "Bearer <token>"}`.
    headers: { 'Apollo-Require-Preflight': 'true' },
  });
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultEditorToolsVisibility: true,
      defaultQuery:
        '# Sign in with the login mutation, then put the token in the Headers tab.\n{\n  viewer {\n    userName\n  }\n}\n',
    }),
  );
})();
