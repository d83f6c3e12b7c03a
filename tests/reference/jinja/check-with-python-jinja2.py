# Second, independent check of renderings.json: renders the same templates and conversations with
# Python's Jinja2 set up as Hugging Face transformers' apply_chat_template does (immutable sandbox,
# trim_blocks, lstrip_blocks, loopcontrols, its tojson and raise_exception) and reports differences.
# Run: python3 check-with-python-jinja2.py   (Debian: apt-get install python3-jinja2)
import json, os, sys, jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment
def raise_exception(m): raise jinja2.exceptions.TemplateError(m)
def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)
env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"])
env.filters["tojson"]=tojson; env.globals["raise_exception"]=raise_exception
here=os.path.dirname(os.path.abspath(__file__))
ref=json.load(open(os.path.join(here,'renderings.json'))); convs={c['name']:c for c in json.load(open(os.path.join(here,'conversations.json')))['conversations']}
bad=0
for t in ref['templates']:
    cfg=json.load(open('%s/../../../../shared/models/tokenizers/%s/tokenizer_config.json'%(here, t['name'])))
    tpl=env.from_string(cfg['chat_template'])
    for r in t['renderings']:
        c=convs[r['conversation']]
        kw=dict(messages=c['messages'], add_generation_prompt=r['add_generation_prompt'], tools=None, documents=None)
        if t['bos_token']: kw['bos_token']=t['bos_token']
        if t['eos_token']: kw['eos_token']=t['eos_token']
        kw.update(c.get('extra',{}))
        out=tpl.render(**kw)
        if out!=r['text']: bad+=1; print("DIFF", t['name'], r['conversation'], repr(out[:200]), repr(r['text'][:200]))
print(f"python jinja2 {jinja2.__version__}: {bad} of {sum(len(t['renderings']) for t in ref['templates'])} renderings differ")
sys.exit(1 if bad else 0)
