// Slyk's Node SDK (@slyk/slyk-sdk-node) runs the order.create example of its docs/methods.md, unchanged,
// against the sandbox named by SLYK_HOST; the order it returns is printed as JSON on stdout.
const createSlykClient = require("@slyk/slyk-sdk-node");

const slyk = createSlykClient({ apikey: process.env.SLYK_APIKEY, host: process.env.SLYK_HOST });

(async () => {
  // -- docs/methods.md, `order.create`, verbatim --------------------------------------------------
  const order = await slyk.order.create({
    chosenPaymentMethod: "wallet",
    customData: { qux: "quux" },
    deliveryMethod: "pickup",
    lines: [{ productId: "8c507367-10e9-4b50-8912-d1b8d37d13d8" }],
    walletId: "5cabbc16-d845-418f-9ecc-7a9fcab99b49",
  });
  // ------------------------------------------------------------------------------------------------
  process.stdout.write(JSON.stringify(order));
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
