// "Accept a payment" with server-side confirmation and Stripe's test cards: a card that
// succeeds, one that is declined, and one that needs 3-D Secure.
'use strict';

const {stripe, run} = require('./client');

async function pay(paymentMethod) {
  const paymentIntent = await stripe.paymentIntents.create({
    amount: 2000,
    currency: 'usd',
    automatic_payment_methods: {enabled: true},
  });
  try {
    const confirmed = await stripe.paymentIntents.confirm(paymentIntent.id, {
      payment_method: paymentMethod,
      return_url: 'https://example.com/checkout/complete',
    });
    return {
      id: confirmed.id,
      status: confirmed.status,
      amount: confirmed.amount,
      amount_received: confirmed.amount_received,
      currency: confirmed.currency,
      next_action: confirmed.next_action ? confirmed.next_action.type : null,
    };
  } catch (err) {
    if (err.type !== 'StripeCardError') throw err;
    const after = await stripe.paymentIntents.retrieve(paymentIntent.id);
    return {
      id: after.id,
      status: after.status,
      error: {code: err.code, decline_code: err.decline_code, message: err.message},
      last_payment_error: after.last_payment_error ? after.last_payment_error.code : null,
    };
  }
}

run(async () => ({
  succeeded: await pay('pm_card_visa'),
  declined: await pay('pm_card_chargeDeclined'),
  three_d_secure: await pay('pm_card_authenticationRequired'),
}));
