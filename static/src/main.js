// Starts nhsuk-frontend's components (character counts, conditional reveals, the error
// summary's focus, the header menu...). A file rather than an inline script, because the
// Content Security Policy refuses inline scripts. The build copies it next to the library.
//
// The body classes are what nhsuk-frontend's page template sets from a small inline script:
// its JavaScript runs only under `nhsuk-frontend-supported`, and its CSS hides closed
// conditional reveals and shows the live character count under it. A browser that runs this
// module supports the library (the template's own test is `noModule` support).
import { initAll } from "./nhsuk-frontend.min.js";

document.body.classList.add("js-enabled", "nhsuk-frontend-supported");

// File inputs stay native: the drop zone nhsuk-frontend 10 builds over them names its button
// with text it does not show, which axe refuses (label-content-name-mismatch, WCAG 2.5.3).
// The native input keeps its own <label>, hint and error message.
for (const upload of document.querySelectorAll('[data-module="nhsuk-file-upload"]')) {
  upload.removeAttribute("data-module");
}
initAll();
