// js-yaml ships without types and @types/js-yaml is not installed; the tests use
// only load(). (js-yaml itself comes with @pulumi/pulumi.)
declare module "js-yaml" {
  export function load(text: string): unknown;
}
