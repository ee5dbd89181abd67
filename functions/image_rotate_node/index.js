// image_rotate_node: rotates and mirrors a JPEG with jimp, pure JavaScript (FunctionBench's
// image_processing, as the paper runs it on Node.js). The image (input.jpg, 640x480) is written
// by functions/generate_inputs.py; jimp is installed from the npm registry into node_modules by
// scripts/bench-setup.sh (npm ci, pinned by package-lock.json). Each invocation decodes the image,
// rotates it by 90 degrees (counter-clockwise) and mirrors it, encodes both results as JPEG (in
// memory), and checks the geometry: sizes swapped, and pixels at a few spots where they must have
// moved.
const fs = require('fs');
const path = require('path');
const { Jimp, JimpMime } = require('jimp');

const SPOTS = [[0, 0], [17, 5], [320, 240], [639, 0], [0, 479], [639, 479], [123, 456], [500, 77]];

exports.handler = async (event) => {
  const image = await Jimp.read(fs.readFileSync(path.join(__dirname, event.path || 'input.jpg')));
  const { width: w, height: h } = image.bitmap;
  const rotated = image.clone().rotate(90);
  const mirrored = image.clone().flip({ horizontal: true, vertical: false });
  const rotatedJpeg = await rotated.getBuffer(JimpMime.jpeg, { quality: 85 });
  const mirroredJpeg = await mirrored.getBuffer(JimpMime.jpeg, { quality: 85 });
  const decoded = await Jimp.read(rotatedJpeg);
  const spots = SPOTS.map(([x, y]) => [x % w, y % h]);
  const pixel = (im, x, y) => im.getPixelColor(x, y);
  let verified = rotated.bitmap.width === h && rotated.bitmap.height === w
    && mirrored.bitmap.width === w && mirrored.bitmap.height === h
    && decoded.bitmap.width === h && decoded.bitmap.height === w
    && spots.every(([x, y]) => pixel(rotated, y, w - 1 - x) === pixel(image, x, y))
    && spots.every(([x, y]) => pixel(mirrored, w - 1 - x, y) === pixel(image, x, y));
  if (event.expected_size) verified = verified && w === event.expected_size[0] && h === event.expected_size[1];
  return { size: [w, h], rotated_size: [rotated.bitmap.width, rotated.bitmap.height],
    rotated_jpeg_bytes: rotatedJpeg.length, mirrored_jpeg_bytes: mirroredJpeg.length, verified };
};
