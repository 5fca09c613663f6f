// Piston's npm client, unchanged: node client.mjs SERVER LANGUAGE SOURCE STDIN -> its answer as JSON.
import piston from "piston-client";

const [server, language, source, stdin] = process.argv.slice(2);
const client = piston({ server });
const answer = await client.execute(language, source, { stdin, args: [] });
console.log(JSON.stringify(answer));
