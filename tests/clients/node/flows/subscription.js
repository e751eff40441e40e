// "Build a subscriptions integration": product and price, customer, a subscription created
// `default_incomplete`, paid by confirming its first invoice's own payment (what Stripe.js's
// confirmPayment does with the invoice's confirmation secret), then active.
'use strict';

const {stripe, run} = require('./client');

run(async () => {
  const product = await stripe.products.create({name: 'Basic plan'});
  const price = await stripe.prices.create({
    product: product.id,
    unit_amount: 1200,
    currency: 'usd',
    recurring: {interval: 'month'},
  });
  const customer = await stripe.customers.create({
    email: 'jenny.rosen@example.com',
    name: 'Jenny Rosen',
  });

  const subscription = await stripe.subscriptions.create({
    customer: customer.id,
    items: [{price: price.id}],
    payment_behavior: 'default_incomplete',
    payment_settings: {save_default_payment_method: 'on_subscription'},
    billing_mode: {type: 'flexible'},
    expand: ['latest_invoice.confirmation_secret'],
  });
  const clientSecret = subscription.latest_invoice.confirmation_secret.client_secret;

  // Stripe.js confirms the intent the client secret belongs to: `pi_…_secret_…`.
  const paymentIntentId = clientSecret.split('_secret_')[0];
  const confirmed = await stripe.paymentIntents.confirm(paymentIntentId, {
    payment_method: 'pm_card_visa',
    return_url: 'https://example.com/account',
  });

  const after = await stripe.subscriptions.retrieve(subscription.id, {expand: ['latest_invoice']});
  const invoicePayments = await stripe.invoicePayments.list({invoice: after.latest_invoice.id});
  const intents = await stripe.paymentIntents.list({customer: customer.id});
  const updated = await stripe.customers.retrieve(customer.id);
  return {
    product: {id: product.id, name: product.name},
    price: {id: price.id, unit_amount: price.unit_amount, currency: price.currency, interval: price.recurring.interval},
    created_status: subscription.status,
    first_invoice: {
      id: subscription.latest_invoice.id,
      status_at_creation: subscription.latest_invoice.status,
      amount_due: subscription.latest_invoice.amount_due,
    },
    payment_intent: {id: confirmed.id, status: confirmed.status, amount: confirmed.amount},
    status: after.status,
    latest_invoice: {id: after.latest_invoice.id, status: after.latest_invoice.status, amount_paid: after.latest_invoice.amount_paid},
    invoice_payments: invoicePayments.data.map((p) => ({
      status: p.status,
      amount_paid: p.amount_paid,
      payment_intent: p.payment.payment_intent,
    })),
    payment_intents: intents.data.map((pi) => ({id: pi.id, status: pi.status})),
    default_payment_method: after.default_payment_method,
    customer_currency: updated.currency,
  };
});
