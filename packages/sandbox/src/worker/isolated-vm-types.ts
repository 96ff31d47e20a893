/**
 * The part of isolated-vm's API the worker uses. Declared here, rather than imported from one
 * of the two optional installs, so the worker type-checks whichever (if any) is present; the
 * API is the same in 5.0.4 and 6.2.x.
 */

export interface IvmTransferOptions {
  readonly promise?: boolean;
  readonly reference?: boolean;
  readonly copy?: boolean;
}

export interface IvmApplyOptions {
  readonly timeout?: number;
  readonly arguments?: IvmTransferOptions;
  readonly result?: IvmTransferOptions;
}

export interface IvmReference {
  readonly typeof: string;
  applySync(receiver: unknown, args: readonly unknown[], options?: IvmApplyOptions): unknown;
  copySync(): unknown;
  derefInto(): unknown;
  release(): void;
}

export interface IvmModule {
  readonly namespace: IvmReference;
  instantiateSync(context: IvmContext, resolve: (specifier: string) => never): void;
  evaluateSync(options?: { timeout?: number }): unknown;
  release(): void;
}

export interface IvmContext {
  evalSync(code: string, options?: { filename?: string; timeout?: number; reference?: boolean }): unknown;
  release(): void;
}

export interface IvmHeapStatistics {
  readonly total_heap_size: number;
  readonly used_heap_size: number;
  /** Memory outside the V8 heap that counts against the isolate's limit (ArrayBuffers). */
  readonly externally_allocated_size: number;
}

export interface IvmIsolate {
  readonly isDisposed: boolean;
  getHeapStatisticsSync(): IvmHeapStatistics;
  createContextSync(): IvmContext;
  compileModuleSync(code: string, options?: { filename?: string }): IvmModule;
  dispose(): void;
}

export interface IsolatedVm {
  Isolate: new (options: { memoryLimit: number; onCatastrophicError?: (message: string) => void }) => IvmIsolate;
  Callback: new (fn: (...args: never[]) => unknown) => object;
}
