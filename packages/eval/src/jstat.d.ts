/** The part of jStat (`jstat`, no type declarations of its own) that `hypothesis.ts` uses. */
declare module 'jstat' {
  const jstat: { readonly jStat: { readonly studentt: { readonly cdf: (x: number, dof: number) => number } } };
  export default jstat;
}
