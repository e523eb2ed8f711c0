import { Router } from 'express';
import path from 'node:path';
import { notFoundHandler } from '../http/errors';

const OWN_ASSETS = path.join(__dirname, 'playground-assets');

/** The files the page loads, each served from an installed package: nothing comes from a CDN. */
const PACKAGE_ASSETS: Record<string, string> = {
  'graphiql.min.js': packageFile('graphiql', 'graphiql.min.js'),
  'graphiql.min.css': packageFile('graphiql', 'graphiql.min.css'),
  'react.production.min.js': packageFile('react', 'umd/react.production.min.js'),
  'react-dom.production.min.js': packageFile('react-dom', 'umd/react-dom.production.min.js'),
};

/** A file inside an installed package, whether or not the package's `exports` lists it. */
function packageFile(packageName: string, file: string): string {
  return path.join(path.dirname(require.resolve(`${packageName}/package.json`)), file);
}

const PAGE_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * An offline GraphiQL at `GET /graphql` for browsers (those that prefer HTML); API clients asking for
 * JSON fall through to Apollo.
 */
export function playgroundRouter(): Router {
  const router = Router();
  router.get('/', (request, response, next) => {
    if (
      request.accepts(['application/graphql-response+json', 'application/json', 'text/html']) !== 'text/html'
    ) {
      next();
      return;
    }
    response.set('Content-Security-Policy', PAGE_POLICY);
    response.sendFile(path.join(OWN_ASSETS, 'index.html'));
  });
  router.get('/assets/:file', (request, response, next) => {
    const file = request.params.file;
    const packaged = Object.hasOwn(PACKAGE_ASSETS, file) ? PACKAGE_ASSETS[file] : undefined;
    const own =
      file === 'playground.js' || file === 'playground.css' ? path.join(OWN_ASSETS, file) : undefined;
    const location = packaged ?? own;
    if (!location) {
      // Not Apollo's business either: it would answer a GET here with a 400 about the missing query.
      notFoundHandler(request, response, next);
      return;
    }
    response.set('Cache-Control', 'public, max-age=86400');
    response.sendFile(location);
  });
  return router;
}
