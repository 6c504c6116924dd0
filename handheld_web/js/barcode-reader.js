// Reading a barcode from a camera frame: the browser's own BarcodeDetector where it reads
// every format the floor uses, else the vendored zxing-wasm reader (WebAssembly).
//
// Either way a read becomes the text a hardware scanner with AIM identifiers would send for
// it: a GS1 symbol keeps its FNC1 separators as 0x1D and gets its symbology identifier
// (`]d2` GS1 DataMatrix, `]C1` GS1-128, `]Q3` GS1 QR), so the server parses it as GS1 with
// the same AIs; anything else is its plain text. Loaded only when the camera opens.

// The pinned copy (see `make vendor-camera`); the wasm is served by this server, never a CDN.
const ZXING_WASM = "../vendor/zxing-wasm-3.1.8";

// What the floor scans: EAN/UPC on units, Code128/GS1-128 on cartons and labels, GS1
// DataMatrix on pharma and cosmetics, QR on locations and documents.
export const NATIVE_FORMATS = ["ean_13", "ean_8", "upc_a", "upc_e", "code_128", "data_matrix", "qr_code"];
const ZXING_FORMATS = ["EAN13", "EAN8", "UPCA", "UPCE", "Code128", "DataMatrix", "QRCode"];
// The AIM identifier a scanner sends for a GS1 symbol of each family, as server/barcodes.py
// knows them. zxing's own identifier also encodes other things in its modifier (a GS1
// DataMatrix in the rectangular DMRE shape reads as `]d8`), so GS1 is told by the content.
const GS1_IDENTIFIER = { DataMatrix: "]d2", Code128: "]C1", QRCode: "]Q3" };

/** The text to hand to the scan field for one zxing read. */
export function scanTextOfZxingRead({ text, contentType, symbology }) {
  const identifier = contentType === "GS1" ? GS1_IDENTIFIER[symbology] : undefined;
  return identifier ? `${identifier}${text}` : text;
}

/** Whether this browser's BarcodeDetector (if any) reads every format we need. */
export async function nativeDetectorCovers(formats = NATIVE_FORMATS) {
  const Detector = globalThis.BarcodeDetector;
  if (typeof Detector?.getSupportedFormats !== "function") return false;
  try {
    const supported = new Set(await Detector.getSupportedFormats());
    return formats.every((format) => supported.has(format));
  } catch {
    return false;
  }
}

function nativeReader() {
  const detector = new globalThis.BarcodeDetector({ formats: NATIVE_FORMATS });
  return {
    kind: "native",
    async read(source) {
      const [found] = await detector.detect(source);
      // The native API reports no symbology identifier; GS separators, if any, are kept
      // and the server tells GS1 by them or by a leading AI 01/00.
      return found?.rawValue || null;
    },
  };
}

async function wasmReader() {
  const base = new URL(`${ZXING_WASM}/`, import.meta.url);
  const zxing = await import(`${ZXING_WASM}/dist/es/reader/index.js`);
  // Without the override the module fetches its wasm from a public CDN. Compile it now,
  // while the camera starts, rather than on the first frame.
  await zxing.prepareZXingModule({
    overrides: { locateFile: (path) => new URL(`dist/reader/${path}`, base).href },
    fireImmediately: true,
  });
  const canvas = document.createElement("canvas");
  const context = canvas.getContext("2d", { willReadFrequently: true });
  const options = { formats: ZXING_FORMATS, textMode: "Plain", tryHarder: true, maxNumberOfSymbols: 1 };
  return {
    kind: "wasm",
    async read(video) {
      const width = video.videoWidth;
      const height = video.videoHeight;
      if (!width || !height) return null;
      canvas.width = width;
      canvas.height = height;
      context.drawImage(video, 0, 0, width, height);
      const [found] = await zxing.readBarcodes(context.getImageData(0, 0, width, height), options);
      return found?.isValid && found.text ? scanTextOfZxingRead(found) : null;
    },
  };
}

/** The reader for this browser: `{kind: "native" | "wasm", read(video) -> text | null}`. */
export async function createBarcodeReader() {
  return (await nativeDetectorCovers()) ? nativeReader() : wasmReader();
}
