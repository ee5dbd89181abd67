class PaymentError extends Error {
  constructor(message) {
    super(message);
    this.name = 'PaymentError';
  }
}

function charge(amount) {
  if (amount > 100) throw new PaymentError(`amount ${amount} over the limit`);
  return { charged: amount };
}

exports.handler = async (event) => {
  console.log('charging', event.amount);
  return charge(event.amount);
};
