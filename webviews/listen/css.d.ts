// esbuild bundles the imported stylesheet into dist/webviews/report.css.
declare module '*.css';
