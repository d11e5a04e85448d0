export { renderPlanText } from './text.js';
export { renderPlanJson } from './json.js';
export { renderPlanMarkdown, MARKDOWN_LIMIT } from './markdown.js';
export { renderDiagnosticsText, renderDiagnosticsJson, renderDiagnosticsGithub } from './diagnostics.js';
export { summaryLine, describeReassignment } from './values.js';
