declare global {
  namespace App {
    interface Error {
      message: string;
      /** The API's error code, when the error came from the API. */
      code?: string;
    }
  }
}

export {};
