// Starts Swagger UI on the page's <main>, with the OpenAPI document's URL from its data
// attribute (the page has no inline script: the CSP refuses it).
// window.ui is Swagger UI's handle (its specSelectors answer what it loaded).
// validatorUrl: null keeps Swagger UI from asking validator.swagger.io about the document.
const root = document.getElementById("swagger-ui");
window.ui = window.SwaggerUIBundle({
  url: root.dataset.specUrl,
  domNode: root,
  deepLinking: true,
  validatorUrl: null,
  tryItOutEnabled: false,
  persistAuthorization: false,
  presets: [window.SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
});
