// tenure console: the card page. Stripe's card field (Stripe.js, loaded before this script)
// is mounted in #card-element; saving confirms the page's SetupIntent with it, so the card's
// number goes from the browser to Stripe alone, and posts the payment method Stripe made
// (pm_…) for tenure to save.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("card-form");
  if (!form) return;
  const errors = document.getElementById("card-errors");
  const button = document.getElementById("card-submit");
  if (typeof Stripe !== "function") {
    errors.textContent = "Stripe's card field did not load; reload the page.";
    button.disabled = true;
    return;
  }
  const stripe = Stripe(form.dataset.publishableKey);
  const card = stripe.elements().create("card");
  card.mount("#card-element");
  let sent = false;
  form.addEventListener("submit", async (event) => {
    if (sent) return;
    event.preventDefault();
    button.disabled = true;
    errors.textContent = "";
    const result = await stripe.confirmCardSetup(form.dataset.clientSecret, {
      payment_method: { card },
    });
    if (result.error || !result.setupIntent || !result.setupIntent.payment_method) {
      errors.textContent = (result.error && result.error.message) || "Stripe did not save the card.";
      button.disabled = false;
      return;
    }
    document.getElementById("payment-method").value = result.setupIntent.payment_method;
    sent = true;
    form.submit();
  });
});
