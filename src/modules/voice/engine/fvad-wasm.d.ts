// The package ships JavaScript only: its default export instantiates the WebAssembly module.
declare module '@echogarden/fvad-wasm' {
  const fvad: (moduleArg?: Record<string, unknown>) => Promise<unknown>;
  export default fvad;
}
