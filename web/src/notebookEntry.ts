// The classic-script bundle each static notebook output inlines: `attnscopeNb.mount(outputDiv)`.
export { mount } from "./notebook";
