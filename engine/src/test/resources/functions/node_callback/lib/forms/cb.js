// The callback form: the result is sent once the callback ran and the event loop is empty.
let calls = 0;
exports.handler = (event, context, callback) => {
  calls += 1;
  if (event.fail) {
    callback(new RangeError(`refused ${event.fail}`));
    return;
  }
  setTimeout(() => callback(null, { doubled: event.n * 2, calls }), 10);
  setTimeout(() => console.log('after the callback', event.n), 30);   // still in this invocation's log
};
