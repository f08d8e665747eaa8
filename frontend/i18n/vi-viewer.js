// Vietnamese for the read-only viewer on instance pages (NavigatedViewer asks for nothing else); the modeller's
// dictionary (vi.js) includes it.

export default {
  messages: {
    'Open {element}': 'Mở {element}'
  }
};
