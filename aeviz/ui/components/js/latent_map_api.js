// The latent map's handle for tests and benchmarks (window.__aevizLatentMap[...]): its state, its model, and
// conversions between plane points and the page's pixels. Read-only except through the map's own methods.

/** The handle of one LatentMap instance `self`. */
export function mapApi(self) {
  return {
    get instance() { return self; },
    get model() { return self.model; },
    state() {
      const s = self.shown;
      return s && { a: s.a, b: s.b, z: Array.from(s.z), x: Array.from(s.x), dist: s.dist, row: s.row,
                    sample: self.model.sampleIds[s.row], hole: s.hole, r: self.r, source: s.source };
    },
    get r() { return self.r; },
    get decodes() { return self.decodes; },
    get view() { return self.view.slice(); },
    codes() { return Array.from(self.model.codes); },
    /** The drawing pad's last input (the dataset's image, row-major) and its code, or null before any. */
    drawing() {
      const img = self.pad.image;
      return img ? { image: Array.from(img), z: JSON.parse(self.root.dataset.drawnCode || "null") } : null;
    },
    /** The hole rule's reference codes (float32 values, row-major), as Python's LatentView.index.codes. */
    reference() { return Array.from(self.model.ref); },
    /** Client (page) coordinates of plane point (a, b). */
    toClient(a, b) {
      const rect = self.map.getBoundingClientRect();
      const [x, y] = self.toPixel(a, b);
      return { x: rect.left + x, y: rect.top + y };
    },
    fromClient(x, y) {
      const rect = self.map.getBoundingClientRect();
      return self.fromPixel(x - rect.left, y - rect.top);
    },
    /** The shading drawn at client point (x, y): the hole canvas's alpha (0 where no hole). */
    shadeAt(x, y) {
      const rect = self.holesCanvas.getBoundingClientRect();
      const px = Math.floor(x - rect.left), py = Math.floor(y - rect.top);
      return self.holesCanvas.getContext("2d").getImageData(px, py, 1, 1).data[3];
    },
  };
}
