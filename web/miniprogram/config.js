// Where the API is. In WeChat's developer tools, point it at your server
// (HTTPS and a registered request domain in production; for a local stack
// tick "do not verify domain names" in the tools' settings).
module.exports = {
  baseUrl: 'http://127.0.0.1:8080',
  // subscribe-message template ids of the mini-program (the server's
  // [wechat] template_id): asked for in the top-up tap and on settings
  alertTemplates: [],
};
