// "Refund and cancel payments": a partial refund, then the rest, then one too many.
'use strict';

const {stripe, run} = require('./client');

run(async () => {
  const paymentIntent = await stripe.paymentIntents.create({
    amount: 5000,
    currency: 'eur',
    payment_method: 'pm_card_visa',
    allowed_payment_method_types: ['card'],
    confirm: true,
  });
  const partial = await stripe.refunds.create({payment_intent: paymentIntent.id, amount: 1500});
  const rest = await stripe.refunds.create({payment_intent: paymentIntent.id});
  let again = null;
  try {
    await stripe.refunds.create({payment_intent: paymentIntent.id, amount: 1});
  } catch (err) {
    again = {type: err.type, code: err.code, statusCode: err.statusCode};
  }
  const charge = await stripe.charges.retrieve(paymentIntent.latest_charge, {expand: ['refunds']});
  const listed = await stripe.refunds.list({payment_intent: paymentIntent.id});
  const txn = await stripe.balanceTransactions.retrieve(charge.balance_transaction);
  return {
    payment_intent: {id: paymentIntent.id, status: paymentIntent.status, amount: paymentIntent.amount},
    refunds: [partial, rest].map((r) => ({amount: r.amount, status: r.status, currency: r.currency})),
    again,
    charge: {amount_refunded: charge.amount_refunded, refunded: charge.refunded, refunds: charge.refunds.data.length},
    listed: listed.data.length,
    balance_transaction: {amount: txn.amount, type: txn.type, source: txn.source},
  };
});
